"""The feed's `q` searches one document per claim (claims_claimsearch): see ClaimSearch.

On PostgreSQL the table gets its GIN index and a foreign key that cascades deletes in the
database. The document's definition, the triggers that keep it current and the backfill are in
reviews migration 0018: the document includes verdict summaries, and claims does not know reviews.
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE claims_claimsearch ADD CONSTRAINT claims_claimsearch_claim_fk "
        "FOREIGN KEY (claim_id) REFERENCES claims_claim (id) ON DELETE CASCADE"
    )
    schema_editor.execute("CREATE INDEX claim_search_document ON claims_claimsearch USING gin (document)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS claim_search_document")
    schema_editor.execute("ALTER TABLE claims_claimsearch DROP CONSTRAINT IF EXISTS claims_claimsearch_claim_fk")


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0012_claim_created_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="ClaimSearch",
            fields=[
                (
                    "claim",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="claims.claim",
                    ),
                ),
                ("document", django.contrib.postgres.search.SearchVectorField()),
            ],
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
