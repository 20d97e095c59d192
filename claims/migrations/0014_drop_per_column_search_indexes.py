"""Drop the GIN indexes on claim texts and quotes (claims 0003), PostgreSQL only.

The feed's `q` reads one search document per claim since 0013 (claims_claimsearch, its own GIN
index), and nothing else searches these two expressions: the indexes only cost every write of a
claim or an appearance, and minutes of a large archive's bulk load. Reversible: recreated as 0003 made them.
"""

from django.db import migrations

INDEXES = {
    "claim_text_search": ("claims_claim", "text"),
    "appearance_exact_search": ("claims_appearance", "exact"),
}


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin (to_tsvector('english'::regconfig, COALESCE({column}, '')))"
        )


class Migration(migrations.Migration):
    dependencies = [("claims", "0013_claim_search")]

    operations = [migrations.RunPython(drop, create, elidable=False)]
