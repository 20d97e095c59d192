"""The feed's full-text search (`q`) is served by GIN indexes on PostgreSQL."""

import pytest
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection

from api.filters import SEARCH_CONFIG
from claims.models import Appearance, Claim, SourceDocument
from reviews.models import Verdict

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.mark.parametrize(
    ("model", "field", "index"),
    [
        (Claim, "text", "claim_text_search"),
        (Appearance, "exact", "appearance_exact_search"),
        (Verdict, "summary", "verdict_summary_search"),
        (SourceDocument, "text", "document_text_search"),
    ],
)
def test_the_search_expression_can_use_its_gin_index(model, field, index):
    query = SearchQuery("prison labor", config=SEARCH_CONFIG, search_type="websearch")
    queryset = model.objects.annotate(search=SearchVector(field, config=SEARCH_CONFIG)).filter(search=query)
    with connection.cursor() as cursor:
        # On an empty table the planner prefers a scan (of the table, or of the primary key
        # filtering each row); forbid both to see whether the GIN index (bitmap scans only) fits.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = queryset.explain()

    assert index in plan
