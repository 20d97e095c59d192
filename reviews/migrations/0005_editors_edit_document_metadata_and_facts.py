"""Editors fill in document metadata and the structured facts of claims; reviewers read them.

0004 gave editors view-only access to documents, which left the metadata fields (title,
outlet, author, date, URL) read-only for them in the admin; and the structured-fact models
arrived after 0004, so neither group had permissions on them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

FACT_MODELS = ["wagefigure", "contractrelation", "knowledgefact", "quantityfact", "eventfact"]

GRANTS = {
    "Editors": ["change_sourcedocument"]
    + [f"{a}_{m}" for m in FACT_MODELS for a in ("view", "add", "change", "delete")],
    "Reviewers": [f"view_{m}" for m in FACT_MODELS],
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
        perms = list(Permission.objects.filter(content_type__app_label="claims", codename__in=codenames))
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
                *Permission.objects.filter(content_type__app_label="claims", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0004_create_editor_and_reviewer_groups"),
        ("claims", "0002_structured_facts"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
