"""System checks for what the API publishes under the desk's name."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def check_publisher(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Production needs the publisher's own name and public https URL: every ClaimReview, Atom entry
    and sitemap link carries them, and partners keep what they copied."""
    errors = []
    if not settings.PUBLISHER_NAME.strip():
        errors.append(
            checks.Error(
                "PUBLISHER_NAME is not set.",
                hint="Set PUBLISHER_NAME to the organisation publishing the verdicts (ClaimReview and Atom author).",
                id="api.E001",
            )
        )
    url = urlsplit(settings.PUBLISHER_URL)
    if url.scheme != "https" or not url.hostname or url.hostname in {"127.0.0.1", "localhost", "::1"}:
        errors.append(
            checks.Error(
                f"PUBLISHER_URL is {settings.PUBLISHER_URL!r}, not the public https address of the site.",
                hint="Set PUBLISHER_URL to the site's public address, e.g. https://claims.example.org.",
                id="api.E002",
            )
        )
    return errors
