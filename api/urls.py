"""Everything served under /api/, and the Atom feed (mounted by tracker/urls.py)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import auth, changes, external, facts, matching, workflow
from api import claims as views
from api.atom import VerdictsAtomView

api_urlpatterns = [
    # Claims, documents and the public read side.
    path("claims/", views.ClaimListView.as_view(), name="claim-list"),
    path("claims/<int:pk>/", views.ClaimDetailView.as_view(), name="claim-detail"),
    path("claims/<int:pk>/appearances/", views.AppearanceCreateView.as_view(), name="claim-appearances"),
    path("claims/<int:pk>/claimreview/", views.ClaimReviewView.as_view(), name="claim-claimreview"),
    path("claimreview/feed/", views.ClaimReviewFeedView.as_view(), name="claimreview-feed"),
    path("documents/", views.DocumentListView.as_view(), name="document-list"),
    path("documents/<int:pk>/", views.DocumentDetailView.as_view(), name="document-detail"),
    path("changes/", changes.ChangesView.as_view(), name="change-list"),
    path("match/", matching.MatchView.as_view(), name="match"),
    # The review workflow.
    path("claims/<int:pk>/submit/", workflow.SubmitView.as_view(), name="claim-submit"),
    path("claims/<int:pk>/assign/", workflow.AssignView.as_view(), name="claim-assign"),
    path("claims/<int:pk>/reviews/", workflow.ReviewCreateView.as_view(), name="claim-review"),
    path("claims/<int:pk>/send-back/", workflow.SendBackView.as_view(), name="claim-send-back"),
    path("claims/<int:pk>/publish/", workflow.PublishView.as_view(), name="claim-publish"),
    path("claims/<int:pk>/correct/", workflow.CorrectView.as_view(), name="claim-correct"),
    path("claims/<int:pk>/retract/", workflow.RetractView.as_view(), name="claim-retract"),
    path("agreement/", workflow.AgreementView.as_view(), name="agreement"),
    path("external-reviews/", external.ExternalReviewListView.as_view(), name="external-review-list"),
    # Structured facts.
    path("entities/graph/", facts.EntityGraphView.as_view(), name="entity-graph"),
    path("timeline/", facts.TimelineView.as_view(), name="timeline"),
    path("conflicts/", facts.ConflictListView.as_view(), name="conflict-list"),
    # Tokens and docs.
    path("auth/login/", auth.LoginView.as_view(), name="api-login"),
    path("auth/logout/", auth.LogoutView.as_view(), name="api-logout"),
    path("auth/logoutall/", auth.LogoutAllView.as_view(), name="api-logoutall"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start script as a file (?script): no inline script, for the CSP.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
]

feed_urlpatterns = [
    path("verdicts.atom", VerdictsAtomView.as_view(), name="verdicts-atom"),
]
