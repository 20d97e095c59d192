"""The two desk roles as groups with the permissions they need.

Editors drive the workflow and see everything; reviewers see claims and write reviews.
The services check these permissions, so the groups are the single place roles live.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Editors": {
        "claims": {
            "claim": ["view", "add", "change"],
            "appearance": ["view", "add", "change", "delete"],
            "entity": ["view", "add", "change"],
            "sourcedocument": ["view"],
            "conflict": ["view", "change"],
        },
        "reviews": {
            "rating": ["view"],
            "assignment": ["view"],
            "review": ["view", "view_all_reviews"],
            "evidence": ["view"],
            "verdict": ["view", "publish_verdict", "correct_verdict", "retract_verdict"],
            "transition": ["view", "submit_claim", "assign_reviewers", "send_back_claim"],
        },
    },
    "Reviewers": {
        "claims": {
            "claim": ["view"],
            "appearance": ["view"],
            "entity": ["view"],
            "sourcedocument": ["view"],
            "conflict": ["view"],
        },
        "reviews": {
            "rating": ["view"],
            "assignment": ["view"],
            "review": ["view", "add"],
            "evidence": ["view", "add"],
            "verdict": ["view"],
            "transition": ["view"],
        },
    },
}

DEFAULT_ACTIONS = {"view", "add", "change", "delete"}


def create_groups(apps, schema_editor):
    # Permissions are normally created after the whole migrate run; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, app_models in ROLES.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for app_label, models in app_models.items():
            for model, actions in models.items():
                codenames = [f"{action}_{model}" if action in DEFAULT_ACTIONS else action for action in actions]
                perms = list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
                missing = set(codenames) - {p.codename for p in perms}
                if missing:
                    raise RuntimeError(f"permissions missing for {app_label}.{model}: {sorted(missing)}")
                group.permissions.add(*perms)


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0003_seed_default_rating_scale"),
        ("claims", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_groups, delete_groups),
    ]
