"""Editors keep the rating scale's colours (and descriptions): the badges in the admin and on the public site."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {"Editors": ["change_rating"]}


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
    dependencies = [("reviews", "0014_assignment_due_at")]

    operations = [migrations.RunPython(grant, revoke)]
