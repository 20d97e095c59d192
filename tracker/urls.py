"""URL map: the admin, the API (api/urls.py), the Atom feed, the API docs and the public site (public/urls.py)."""

from django.contrib import admin
from django.urls import include, path

from api.urls import api_urlpatterns, feed_urlpatterns
from tracker import health
from tracker.logins import LimitedAdminAuthenticationForm

admin.site.site_header = "Claim tracker: the fact-checking desk"
admin.site.site_title = "Claim tracker"
admin.site.index_title = "Claims, reviews and verdicts"
admin.site.login_form = LimitedAdminAuthenticationForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_urlpatterns)),
    path("feeds/", include(feed_urlpatterns)),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("public.urls")),
]

handler404 = "api.base.handler404"
handler500 = "api.base.handler500"
