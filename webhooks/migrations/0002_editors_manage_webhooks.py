"""Editors register partner endpoints, read the delivery log and redeliver; reviewers do not."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = [f"{a}_endpoint" for a in ("view", "add", "change", "delete")] + ["view_delivery", "change_delivery"]


def grant(apps, schema_editor):
    # Permissions are normally created after the whole migrate run; the group needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Editors")
    perms = list(Permission.objects.filter(content_type__app_label="webhooks", codename__in=CODENAMES))
    missing = set(CODENAMES) - {p.codename for p in perms}
    if missing:
        raise RuntimeError(f"permissions missing: {sorted(missing)}")
    group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Editors").first()
    if group:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="webhooks", codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_endpoints_and_deliveries"),
        ("reviews", "0004_create_editor_and_reviewer_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
