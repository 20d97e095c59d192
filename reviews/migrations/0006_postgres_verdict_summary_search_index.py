"""GIN index for full-text search over verdict summaries (the feed's `q`), PostgreSQL only.

Same expression as SearchVector("summary", config="english"); see claims 0003.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS verdict_summary_search ON reviews_verdict "
            "USING gin (to_tsvector('english'::regconfig, COALESCE(summary, '')))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS verdict_summary_search")


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0005_editors_edit_document_metadata_and_facts"),
        ("claims", "0003_postgres_full_text_search_indexes"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
