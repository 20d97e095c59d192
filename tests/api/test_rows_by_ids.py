"""api.feed.rows_by_ids: a per-id query compiled once gives exactly the ORM's rows, in one query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import feed
from claims.models import Claim
from public import pages

pytestmark = pytest.mark.django_db

SHAPES = [
    feed._claim_row_shape,
    feed._entity_rows,
    feed._appearance_rows,
    feed._verdict_rows,
    feed._evidence_rows,
    feed._public_conflict_rows,
    pages._fact_rows,
    pages._document_rows,
]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: shape.__name__)
def test_rows_by_ids_are_the_orms_rows_for_any_number_of_ids(drive, shape):
    claims = [drive("corrected"), drive("retracted"), drive("published")]
    ids = [claim.pk for claim in claims]
    if shape is pages._document_rows:
        ids = [*claims[0].appearances.values_list("document_id", flat=True), 10**9]
    for chosen in (ids[:1], ids, [*ids, 10**9], ids[::-1]):
        with CaptureQueriesContext(connection) as ctx:
            rows = feed.rows_by_ids(shape, chosen)
        assert len(ctx.captured_queries) == 1
        assert rows == [tuple(row) for row in shape(chosen)]
    # Compiled once per number of ids: the ids are parameters, not part of the SQL.
    assert feed.rows_by_ids(shape, []) == []


def test_a_claim_row_converts_as_the_orm_does(drive):
    claim = drive("published")
    row = feed.claim_rows_by_ids([claim.pk])[0]
    assert row == next(iter(feed.claim_rows(Claim.objects.filter(pk=claim.pk))))
    assert row["published_at"].tzinfo is not None and row["under_recheck"] is False
