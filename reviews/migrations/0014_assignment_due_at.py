"""A due date on each assignment; assignments made before it are due a week after they were made."""

from datetime import timedelta

from django.db import migrations, models


def due_a_week_after_assigning(apps, schema_editor):
    Assignment = apps.get_model("reviews", "Assignment")
    for assignment in Assignment.objects.filter(due_at__isnull=True).only("pk", "assigned_at"):
        Assignment.objects.filter(pk=assignment.pk).update(due_at=assignment.assigned_at + timedelta(days=7))


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0013_editors_import_external_reviews"),
    ]

    operations = [
        migrations.AddField(
            model_name="assignment",
            name="due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="historicalassignment",
            name="due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(due_a_week_after_assigning, migrations.RunPython.noop),
    ]
