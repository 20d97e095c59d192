"""Tell the planner what testing one claim's search document costs (PostgreSQL only).

With the default cost, the planner walked the feed's date order for any query it expected to
fill a page within the walk, however long: `kwame idaho` at 1,000,000 claims walked 26,000
claims (760 ms under EXPLAIN ANALYZE) where the GIN index gives 3,700 candidates (130 ms).
(EXPLAIN ANALYZE; 387 -> 89 ms in-process). claims_search_query() is evaluated once per claim
tested, so its cost is where the per-claim price (parse, fetch and decompress the document,
match) belongs. Single words keep their plans: common ones walk a few thousand claims, rare ones
use the index. 1000 and 10000 gave the same plans for the words tried (rare, 86 and 500 claims,
2%, 4%, 16% of claims, two common words ANDed); 1000 is the smaller step from the default 100.
"""

from django.db import migrations


def _set(cost: int):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER FUNCTION claims_search_query(regconfig, text) COST {cost}")

    return run


class Migration(migrations.Migration):
    dependencies = [("reviews", "0018_claim_search_document")]

    operations = [migrations.RunPython(_set(1000), _set(100), elidable=False)]
