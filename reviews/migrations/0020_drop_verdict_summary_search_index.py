"""Drop the GIN index on verdict summaries (0006), PostgreSQL only: the feed's `q` reads the
claim's search document (0018) instead, and nothing else searches summaries. See claims 0014."""

from django.db import migrations


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS verdict_summary_search")


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS verdict_summary_search ON reviews_verdict "
            "USING gin (to_tsvector('english'::regconfig, COALESCE(summary, '')))"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0019_claim_search_query_cost"),
        ("claims", "0014_drop_per_column_search_indexes"),
    ]

    operations = [migrations.RunPython(drop, create, elidable=False)]
