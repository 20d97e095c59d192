"""import_claimreview FILE|URL...: other fact-checkers' ClaimReviews as external reviews (reviews.external)."""

from django.core.management.base import BaseCommand

from reviews.external import external_reviews_import, read_sources


class Command(BaseCommand):
    help = (
        "Import ClaimReview records (JSON-LD objects, lists, @graph, DataFeeds, or HTML pages with ld+json "
        "blocks) from files or http(s) URLs as external reviews, deduplicated by URL. Unreadable records are "
        "listed with their reason; the others are imported. The last line counts what happened."
    )

    def add_arguments(self, parser):
        parser.add_argument("sources", nargs="+", metavar="FILE|URL")

    def handle(self, *args, sources, **options):
        report = external_reviews_import(sources=read_sources(sources))
        for where, reason in report.refused:
            self.stderr.write(f"skipped: {where}: {reason}")
        self.stdout.write(report.summary())
