"""Atom feed of the newest published verdicts and corrections, for newsroom feed readers."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.utils.feedgenerator import Atom1Feed

from api.claimreview import public_url
from reviews.models import Verdict

ITEMS = 50


class VerdictsFeed(Feed):
    feed_type = Atom1Feed
    title = "Claim tracker: verdicts and corrections"
    subtitle = "The newest published verdicts, corrections and retractions."
    link = "/claims/"

    def items(self) -> QuerySet[Verdict]:
        return (
            # A feed reader is the public: the same rule as every other door, for an anonymous user.
            Verdict.objects.visible_to(None).select_related("claim", "rating").order_by("-published_at", "-id")[:ITEMS]
        )

    def item_title(self, verdict: Verdict) -> str:
        prefix = {
            Verdict.Kind.ORIGINAL: "",
            Verdict.Kind.CORRECTION: "Correction: ",
            Verdict.Kind.RETRACTION: "Retracted: ",
        }[verdict.kind]
        return f"{prefix}{verdict.rating.label}: {verdict.claim.text}"

    def item_description(self, verdict: Verdict) -> str:
        if verdict.correction_note:
            return f"{verdict.summary}\n\n{verdict.get_kind_display()}: {verdict.correction_note}"
        return verdict.summary

    def item_link(self, verdict: Verdict) -> str:
        return public_url(verdict.claim.get_absolute_url())

    def item_guid(self, verdict: Verdict) -> str:
        # One entry per verdict version: a correction is news of its own.
        return public_url(f"{verdict.claim.get_absolute_url()}#verdict-{verdict.version}")

    item_guid_is_permalink = False

    def item_pubdate(self, verdict: Verdict):
        return verdict.published_at

    def item_updateddate(self, verdict: Verdict):
        return verdict.published_at

    def item_categories(self, verdict: Verdict) -> list[str]:
        return [verdict.rating.label, verdict.claim.kind]
