"""sitemap.xml: every public claim page, dated by its latest verdict, at the publisher's address."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap

from claims.models import Claim


class ClaimSitemap(Sitemap):
    limit = 5000

    def items(self):
        return Claim.objects.published().only("slug", "verdict_updated_at").order_by("-published_at", "-id")

    def lastmod(self, claim: Claim):
        return claim.verdict_updated_at

    # The pages live at PUBLISHER_URL (what ClaimReview `url` names), whatever host the request used.
    def get_domain(self, site=None) -> str:
        return urlsplit(settings.PUBLISHER_URL).netloc

    def get_protocol(self, protocol=None) -> str:
        return urlsplit(settings.PUBLISHER_URL).scheme or "https"
