"""Editors import other fact-checkers' ClaimReviews and keep the rating mapping table; reviewers read the table.

Reviewers do not get the external reviews' list: it names the claims each review was matched to,
hidden ones included. They meet the reviews of their own claims in the review form.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Editors": ["view_externalreview", "add_externalreview"]
    + [f"{a}_ratingmapping" for a in ("view", "add", "change", "delete")],
    "Reviewers": ["view_ratingmapping"],
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        perms = list(Permission.objects.filter(content_type__app_label="reviews", codename__in=codenames))
        missing = set(codenames) - {p.codename for p in perms}
        if missing:
            raise RuntimeError(f"permissions missing: {sorted(missing)}")
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        group = Group.objects.filter(name=group_name).first()
        if group:
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label="reviews", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0012_external_reviews")]

    operations = [migrations.RunPython(grant, revoke)]
