"""The public site, mounted at the root by tracker/urls.py (namespace "public")."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from public import views
from public.sitemaps import ClaimSitemap

app_name = "public"

urlpatterns = [
    path("", views.index, name="home"),
    path("claims/", views.index, name="index"),
    path("claims/<slug:slug>/", views.claim, name="claim"),
    path("sitemap.xml", sitemap, {"sitemaps": {"claims": ClaimSitemap}}, name="sitemap"),
    path("ratings.css", views.ratings_css, name="ratings-css"),
    path("robots.txt", views.robots, name="robots"),
]
