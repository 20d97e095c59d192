"""Reviewers are those who hold `reviews.review_claims`; the Reviewers group is given it here, so
code asks about the permission and never about the group's name."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    # Permissions are normally created after the whole migrate run; the group needs this one now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Reviewers")
    group.permissions.add(Permission.objects.get(content_type__app_label="reviews", codename="review_claims"))


def revoke(apps, schema_editor):
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="reviews", codename="review_claims"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0006_postgres_verdict_summary_search_index"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="assignment",
            options={
                "ordering": ["assigned_at", "id"],
                "permissions": [("review_claims", "Can be assigned claims to review")],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
