"""The claims API, under /api/ (see tracker/urls.py)."""

from django.urls import path

from claims import views

urlpatterns = [
    path("claims/", views.ClaimListView.as_view(), name="claim-list"),
    path("claims/<int:pk>/", views.ClaimDetailView.as_view(), name="claim-detail"),
    path("claims/<int:pk>/appearances/", views.AppearanceCreateView.as_view(), name="claim-appearances"),
    path("claims/<int:pk>/claimreview/", views.ClaimReviewView.as_view(), name="claim-claimreview"),
    path("claimreview/feed/", views.ClaimReviewFeedView.as_view(), name="claimreview-feed"),
    path("documents/", views.DocumentListView.as_view(), name="document-list"),
    path("documents/<int:pk>/", views.DocumentDetailView.as_view(), name="document-detail"),
]
