"""The generated archive is realistic where the benchmark relies on it."""

import pytest
from django.db import connection
from django.db.models import Count

from bench.generate import generate
from claims import anchoring
from claims.models import Appearance, Claim, SourceDocument, WageFigure
from reviews.models import Evidence, Rating, Review, Verdict
from tests.factories import AppearanceFactory, ClaimFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive():
    return generate(claims=120, progress=False)


def test_every_quote_is_inside_its_document_at_the_stored_offsets(archive):
    appearances = Appearance.objects.select_related("document")
    assert appearances.count() == archive.appearances >= 120
    for a in appearances:
        anchoring.check_selector(a.document.text, exact=a.exact, start=a.start, end=a.end)
        assert a.document.text[a.start - len(a.prefix) : a.start] == a.prefix
        assert a.document.text[a.end : a.end + len(a.suffix)] == a.suffix
    for e in Evidence.objects.filter(document__isnull=False).select_related("document"):
        anchoring.check_selector(e.document.text, exact=e.exact, start=e.start, end=e.end)


def test_each_claim_appears_one_to_five_times_in_distinct_documents(archive):
    counts = Claim.objects.annotate(n=Count("appearances"), docs=Count("appearances__document", distinct=True))
    assert all(1 <= c.n <= 5 and c.docs == c.n for c in counts)
    assert SourceDocument.objects.count() == archive.documents


def test_reviewed_claims_have_two_reviews_with_evidence(archive):
    reviewed = Claim.objects.filter(status__in=["reviewed", "published", "retracted"])
    assert reviewed.exists()
    for claim in reviewed.annotate(n=Count("reviews")):
        assert claim.n == 2
    assert not Review.objects.filter(evidence__isnull=True).exists()
    assert not Review.objects.exclude(claim__in=reviewed).exists()


def test_published_claims_have_contiguous_verdict_versions_matching_the_claim(archive):
    published = Claim.objects.published()
    assert published.count() == archive.published > 0
    for claim in published.prefetch_related("verdicts"):
        versions = [v.version for v in claim.verdicts.all()]
        assert versions == list(range(1, len(versions) + 1))
        assert claim.version == len(versions)
        assert claim.verdict_updated_at >= claim.published_at
        latest = claim.verdicts.all()[len(versions) - 1]
        assert (latest.kind == "retraction") == (claim.status == "retracted")
    assert Verdict.objects.filter(kind="correction").exists()
    assert not Verdict.objects.exclude(claim__in=published).exists()


def test_uses_the_workflow_rating_scale_and_adds_none():
    scale = list(Rating.objects.values_list("slug", flat=True))
    assert scale, "the workflow's data migration makes the rating scale"
    generate(claims=30, progress=False)
    assert list(Rating.objects.values_list("slug", flat=True)) == scale


def test_writes_the_structured_facts_of_each_kind(archive):
    assert WageFigure.objects.count() == archive.facts["WageFigure"] > 0
    assert not WageFigure.objects.exclude(claim__kind="wage").exists()
    assert set(archive.facts) == {"WageFigure", "ContractRelation", "KnowledgeFact", "QuantityFact", "EventFact"}


def test_refuses_to_generate_twice_into_the_same_database(archive):
    with pytest.raises(SystemExit):
        generate(claims=5, progress=False)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY and the index rebuild are PostgreSQL's")
def test_the_bulk_load_leaves_every_index_and_foreign_key_as_it_found_them():
    def schema():
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")
            indexes = cursor.fetchall()
            cursor.execute(
                "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint ORDER BY 1, 2"
            )
            return indexes, cursor.fetchall()

    before = schema()
    generate(claims=30, progress=False)
    assert schema() == before
    # The search triggers were off for the load, are on again, and every claim has its document.
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tgenabled FROM pg_trigger WHERE tgname LIKE 'claims_search_%'")
        assert cursor.fetchall() == [("O",)]
        cursor.execute(
            """SELECT count(*) FROM claims_claim c JOIN claims_claimsearch s ON s.claim_id = c.id
               WHERE s.document = to_tsvector('english', concat_ws(E'\\n', c.text,
                   (SELECT string_agg(summary, E'\\n') FROM reviews_verdict WHERE claim_id = c.id),
                   (SELECT string_agg(exact, E'\\n') FROM claims_appearance WHERE claim_id = c.id)))"""
        )
        assert cursor.fetchone()[0] == Claim.objects.count() > 0
    # Ids came from the sequences: the next ordinary inserts do not collide with the copied rows.
    copied = max(Claim.objects.values_list("pk", flat=True))
    assert ClaimFactory().pk > copied
    assert AppearanceFactory().claim.pk > copied
