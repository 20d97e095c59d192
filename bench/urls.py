"""The tracker's URLs plus the baseline view, for the benchmark server only (bench.settings)."""

from django.urls import path

import tracker.urls
from bench import baseline as facts
from bench.baseline import baseline_changes, baseline_claim_page, baseline_claimreview, baseline_datafeed, baseline_feed

urlpatterns = [
    path("bench/baseline/claims/", baseline_feed, name="bench-baseline"),
    path("bench/baseline/changes/", baseline_changes, name="bench-baseline-changes"),
    # ClaimReview (one claim's, the DataFeed) and the public claim page.
    path("bench/baseline/claims/<int:pk>/claimreview/", baseline_claimreview, name="bench-baseline-claimreview"),
    path("bench/baseline/claimreview/feed/", baseline_datafeed, name="bench-baseline-datafeed"),
    path("bench/baseline/page/<slug:slug>/", baseline_claim_page, name="bench-baseline-claim-page"),
    path("bench/baseline/graph/", facts.baseline_graph, name="bench-baseline-graph"),
    path("bench/baseline/timeline/", facts.baseline_timeline, name="bench-baseline-timeline"),
    path("bench/baseline/conflicts/", facts.baseline_conflicts, name="bench-baseline-conflicts"),
    *tracker.urls.urlpatterns,
]
handler404 = getattr(tracker.urls, "handler404", "django.views.defaults.page_not_found")
handler500 = getattr(tracker.urls, "handler500", "django.views.defaults.server_error")
