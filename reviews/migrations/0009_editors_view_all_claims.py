"""Editors see every claim, drafts included: the `claims.view_all_claims` permission.

Who sees which claim is one rule (claims.querysets.claim_visibility); it asks for this
permission rather than for the Editors group's name.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    claims_config = apps.get_app_config("claims")
    claims_config.models_module = True
    create_permissions(claims_config, apps=apps, verbosity=0)
    claims_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(Permission.objects.get(content_type__app_label="claims", codename="view_all_claims"))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors = Group.objects.filter(name="Editors").first()
    if editors:
        editors.permissions.remove(
            *Permission.objects.filter(content_type__app_label="claims", codename="view_all_claims")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0008_evidence_anchor_check_verdict_validity_recheck"),
        ("claims", "0008_claim_view_all_claims_permission"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
