"""Full-text search is served by GIN indexes on PostgreSQL: the feed's `q` by the claim search
document's, the document admin's search by the one on document texts; the per-column indexes the
search document replaced are gone (they cost every write and a large archive's bulk load)."""

import pytest
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection

from api.filters import SEARCH_CONFIG, LeaderSearchQuery
from claims.models import ClaimSearch, SourceDocument

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        # On an empty table the planner prefers a scan (of the table, or of the primary key
        # filtering each row); forbid both to see whether the GIN index (bitmap scans only) fits.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        return queryset.explain()


def test_the_document_admin_search_can_use_its_gin_index():
    query = SearchQuery("prison labor", config=SEARCH_CONFIG, search_type="websearch")
    documents = SourceDocument.objects.annotate(search=SearchVector("text", config=SEARCH_CONFIG)).filter(search=query)
    assert "document_text_search" in _plan(documents)


def test_the_claim_search_document_can_use_its_gin_index():
    documents = ClaimSearch.objects.filter(document=LeaderSearchQuery("prison labor", config=SEARCH_CONFIG))
    assert "claim_search_document" in _plan(documents)


def test_the_replaced_per_column_indexes_are_gone():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname IN "
            "('claim_text_search', 'appearance_exact_search', 'verdict_summary_search', 'claim_search_document')"
        )
        assert {row[0] for row in cursor.fetchall()} == {"claim_search_document"}
