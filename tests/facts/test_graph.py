"""Graph layout and drawing: columns along the chain, lanes for long edges, escaping, cycles."""

import re

import pytest

from claims.facts.graph import build_graph, contracts_for_graph, render_svg
from claims.facts.services import contract_set
from claims.models import Claim
from claims.services import system_user

pytestmark = pytest.mark.django_db


def graph():
    return build_graph(list(contracts_for_graph(Claim.objects.all())))


def test_a_cycle_of_relationships_is_laid_out_without_looping(people, make_claim):
    contract_set(
        claim=make_claim("contract"), engager=people["procom"], engaged=people["odoc"], role="client", by=system_user()
    )
    contract_set(
        claim=make_claim("contract"),
        engager=people["odoc"],
        engaged=people["procom"],
        role="operator",
        by=system_user(),
    )

    laid_out = graph()

    assert set(laid_out.layer) == {people["procom"].pk, people["odoc"].pk}
    assert max(laid_out.layer.values()) < 2
    assert "<svg" in render_svg(laid_out)


def test_an_edge_skipping_a_column_runs_in_a_lane_below_the_boxes(people, make_claim):
    contract_set(
        claim=make_claim("contract"),
        engager=people["campaign"],
        engaged=people["vendor"],
        role="vendor",
        by=system_user(),
    )
    contract_set(
        claim=make_claim("contract"),
        engager=people["vendor"],
        engaged=people["procom"],
        role="subcontractor",
        by=system_user(),
    )
    contract_set(
        claim=make_claim("contract"),
        engager=people["campaign"],
        engaged=people["procom"],
        role="vendor",
        by=system_user(),
    )

    paths = re.findall(r'<path d="(M[^"]+)"', render_svg(graph()))

    assert sum(" V" in d for d in paths) == 1  # only the campaign -> ProCom edge takes a lane
    assert sum(" C" in d for d in paths) == 2


def test_an_empty_graph_says_so(db):
    assert "No contract relationships" in render_svg(graph())
