"""GIN indexes for the feed's `q` full-text search, on PostgreSQL only.

The expressions are exactly what SearchVector(field, config="english") compiles to, so the
planner can use them; without them `q` scans every claim and appearance (seconds at 100,000
claims). SQLite has no GIN and searches with a substring match instead, so nothing is made there.
"""

from django.db import migrations

INDEXES = {
    "claim_text_search": ("claims_claim", "text"),
    "appearance_exact_search": ("claims_appearance", "exact"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin (to_tsvector('english'::regconfig, COALESCE({column}, '')))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("claims", "0002_structured_facts")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
