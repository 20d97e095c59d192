"""URL map: the admin, the API, feeds and the API docs."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from claims.feeds import VerdictsFeed
from tracker import auth

admin.site.site_header = "Claim tracker: the fact-checking desk"
admin.site.site_title = "Claim tracker"
admin.site.index_title = "Claims, reviews and verdicts"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("claims.urls")),
    path("api/", include("reviews.urls")),
    path("api/", include("claims.facts_urls")),
    path("api/auth/login/", auth.LoginView.as_view(), name="api-login"),
    path("api/auth/logout/", auth.LogoutView.as_view(), name="api-logout"),
    path("api/auth/logoutall/", auth.LogoutAllView.as_view(), name="api-logoutall"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("feeds/verdicts.atom", VerdictsFeed(), name="verdicts-atom"),
]

handler404 = "tracker.api.handler404"
handler500 = "tracker.api.handler500"
