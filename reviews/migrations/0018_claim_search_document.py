"""The feed's search document per claim (claims_claimsearch), kept current by PostgreSQL triggers.

document = to_tsvector('english', the claim's text, every verdict summary and every appearance
quote, joined by newlines). Triggers recompute a claim's document when its text changes, when a
verdict or an appearance of it is added, deleted, edited (summary / quote) or moved to another
claim (both claims): whatever writes (services, admin, merges, raw SQL), it is never stale.
Deleting a claim deletes its document (the foreign key cascades). Here rather than in claims
because the document includes verdict summaries. PostgreSQL only; SQLite searches with substring
matches and keeps the table empty.

The backfill is one INSERT ... SELECT over grouped summaries and quotes (claims_search_rebuild(),
which the bench generator also calls after its bulk load), then ANALYZE so that the planner
knows each lexeme's frequency (rare words: the GIN index; common ones: the feed's date order).
"""

from django.db import migrations

# The document of the claims `c`, from their text and the aggregated summaries and quotes.
_DOCUMENT = "to_tsvector('english'::regconfig, concat_ws(E'\\n', c.text, {summaries}, {quotes}))"

_REFRESHED = _DOCUMENT.format(
    summaries="(SELECT string_agg(v.summary, E'\\n') FROM reviews_verdict v WHERE v.claim_id = c.id)",
    quotes="(SELECT string_agg(a.exact, E'\\n') FROM claims_appearance a WHERE a.claim_id = c.id)",
)
_REBUILT = _DOCUMENT.format(summaries="v.texts", quotes="a.texts")

FORWARD = [
    # Recompute the documents of some claims (the triggers' work).
    f"""CREATE OR REPLACE FUNCTION claims_search_refresh(ids bigint[]) RETURNS void
        LANGUAGE sql VOLATILE AS $$
        INSERT INTO claims_claimsearch (claim_id, document)
        SELECT c.id, {_REFRESHED}
        FROM claims_claim c WHERE c.id = ANY(ids)
        ON CONFLICT (claim_id) DO UPDATE SET document = EXCLUDED.document
    $$""",
    # Recompute every document, set-based (the backfill and the bench generator's bulk load).
    f"""CREATE OR REPLACE FUNCTION claims_search_rebuild() RETURNS void
        LANGUAGE sql VOLATILE AS $$
        DELETE FROM claims_claimsearch;
        INSERT INTO claims_claimsearch (claim_id, document)
        SELECT c.id, {_REBUILT}
        FROM claims_claim c
        LEFT JOIN (SELECT claim_id, string_agg(summary, E'\\n') AS texts FROM reviews_verdict GROUP BY claim_id) v
            ON v.claim_id = c.id
        LEFT JOIN (SELECT claim_id, string_agg(exact, E'\\n') AS texts FROM claims_appearance GROUP BY claim_id) a
            ON a.claim_id = c.id
    $$""",
    """CREATE OR REPLACE FUNCTION claims_search_claim_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM claims_search_refresh(ARRAY[NEW.id]);
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER claims_search_claim_inserted AFTER INSERT ON claims_claim
        FOR EACH ROW EXECUTE FUNCTION claims_search_claim_changed()""",
    """CREATE TRIGGER claims_search_claim_text AFTER UPDATE OF text ON claims_claim
        FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text) EXECUTE FUNCTION claims_search_claim_changed()""",
    # Appearances and verdicts: TG_ARGV[0] names the searched column (exact / summary).
    """CREATE OR REPLACE FUNCTION claims_search_part_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                PERFORM claims_search_refresh(ARRAY[NEW.claim_id]);
            ELSIF TG_OP = 'DELETE' THEN
                PERFORM claims_search_refresh(ARRAY[OLD.claim_id]);
            ELSIF OLD.claim_id IS DISTINCT FROM NEW.claim_id
                  OR to_jsonb(OLD) -> TG_ARGV[0] IS DISTINCT FROM to_jsonb(NEW) -> TG_ARGV[0] THEN
                PERFORM claims_search_refresh(ARRAY[OLD.claim_id, NEW.claim_id]);
            END IF;
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER claims_search_appearance AFTER INSERT OR DELETE OR UPDATE OF exact, claim_id
        ON claims_appearance FOR EACH ROW EXECUTE FUNCTION claims_search_part_changed('exact')""",
    """CREATE TRIGGER claims_search_verdict AFTER INSERT OR DELETE OR UPDATE OF summary, claim_id
        ON reviews_verdict FOR EACH ROW EXECUTE FUNCTION claims_search_part_changed('summary')""",
    # The feed's search query: websearch_to_tsquery marked PARALLEL RESTRICTED, so that a query
    # using it runs in one process. Split across workers, a LIMITed walk of the feed's date
    # order reads far ahead of the page (at 1,000,000 claims: 79,000 buffers and 420 ms
    # instead of 14,000 and 24 ms for a common word).
    """CREATE OR REPLACE FUNCTION claims_search_query(config regconfig, q text) RETURNS tsquery
        LANGUAGE plpgsql STABLE PARALLEL RESTRICTED AS $$
        BEGIN
            RETURN websearch_to_tsquery(config, q);
        END $$""",
    "SELECT claims_search_rebuild()",
    "ANALYZE claims_claimsearch",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS claims_search_verdict ON reviews_verdict",
    "DROP TRIGGER IF EXISTS claims_search_appearance ON claims_appearance",
    "DROP TRIGGER IF EXISTS claims_search_claim_text ON claims_claim",
    "DROP TRIGGER IF EXISTS claims_search_claim_inserted ON claims_claim",
    "DROP FUNCTION IF EXISTS claims_search_part_changed()",
    "DROP FUNCTION IF EXISTS claims_search_claim_changed()",
    "DROP FUNCTION IF EXISTS claims_search_query(regconfig, text)",
    "DROP FUNCTION IF EXISTS claims_search_rebuild()",
    "DROP FUNCTION IF EXISTS claims_search_refresh(bigint[])",
    "DELETE FROM claims_claimsearch",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0017_transition_merged_status"),
        ("claims", "0013_claim_search"),
    ]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
