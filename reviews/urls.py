"""The workflow API, under /api/ (see tracker/urls.py)."""

from django.urls import path

from reviews import views

urlpatterns = [
    path("claims/<int:pk>/submit/", views.SubmitView.as_view(), name="claim-submit"),
    path("claims/<int:pk>/assign/", views.AssignView.as_view(), name="claim-assign"),
    path("claims/<int:pk>/reviews/", views.ReviewCreateView.as_view(), name="claim-review"),
    path("claims/<int:pk>/send-back/", views.SendBackView.as_view(), name="claim-send-back"),
    path("claims/<int:pk>/publish/", views.PublishView.as_view(), name="claim-publish"),
    path("claims/<int:pk>/correct/", views.CorrectView.as_view(), name="claim-correct"),
    path("claims/<int:pk>/retract/", views.RetractView.as_view(), name="claim-retract"),
    path("agreement/", views.AgreementView.as_view(), name="agreement"),
]
