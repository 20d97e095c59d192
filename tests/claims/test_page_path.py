"""Claim.page_path fills a pattern reversed once: it must say exactly what reverse() says."""

import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix

from claims.models import Claim


@pytest.mark.parametrize("slug", ["a", "wage-figure-12", "under_score-9", "slug-mark"])
def test_page_path_is_the_reversed_public_url(slug):
    assert Claim.page_path(slug) == reverse("public:claim", args=[slug])


def test_page_path_follows_the_script_prefix():
    try:
        set_script_prefix("/desk/")
        assert Claim.page_path("some-claim") == reverse("public:claim", args=["some-claim"])
        assert Claim.page_path("some-claim").startswith("/desk/")
    finally:
        clear_script_prefix()
    assert not Claim.page_path("some-claim").startswith("/desk/")
