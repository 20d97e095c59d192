"""GIN index for the admin's full-text search over document text, on PostgreSQL only.

The expression is what SearchVector("text", config="english") compiles to (as in 0003), so
the planner can use it. SQLite searches the text with a substring match instead.
"""

from django.db import migrations

NAME = "document_text_search"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NAME} ON claims_sourcedocument "
        "USING gin (to_tsvector('english'::regconfig, COALESCE(text, '')))"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("claims", "0008_claim_view_all_claims_permission")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
