from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
    verbose_name = "Reviews and verdicts"


class DeskAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the desk's start page (reviews/site.py) as its index."""

    default = False  # named in INSTALLED_APPS instead of django.contrib.admin; `reviews` stays ReviewsConfig
    default_site = "reviews.site.DeskAdminSite"
