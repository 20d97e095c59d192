"""The default rating scale. Admins may edit it later; this only seeds a fresh database."""

from django.db import migrations

DEFAULT_SCALE = [
    # (slug, label, value, order, description)
    ("false", "False", 1, 1, "The claim is not accurate."),
    (
        "mostly-false",
        "Mostly false",
        2,
        2,
        "The claim has an element of truth but ignores facts that would give a different impression.",
    ),
    (
        "mixed",
        "Mixed",
        3,
        3,
        "The claim is half true: partly accurate, but leaves out important details or takes things out of context.",
    ),
    ("mostly-true", "Mostly true", 4, 4, "The claim is accurate but needs clarification or additional information."),
    ("true", "True", 5, 5, "The claim is accurate and nothing significant is missing."),
    (
        "unproven",
        "Unproven",
        None,
        6,
        "The available evidence neither confirms nor refutes the claim; it sits off the truth scale.",
    ),
]


def seed(apps, schema_editor):
    Rating = apps.get_model("reviews", "Rating")
    for slug, label, value, order, description in DEFAULT_SCALE:
        Rating.objects.update_or_create(
            slug=slug, defaults={"label": label, "value": value, "order": order, "description": description}
        )


def unseed(apps, schema_editor):
    Rating = apps.get_model("reviews", "Rating")
    # Ratings already used by a review or verdict are protected; leave those in place.
    Rating.objects.filter(
        slug__in=[row[0] for row in DEFAULT_SCALE], reviews__isnull=True, verdicts__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0002_workflow_permissions"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
