"""Every admin page a user can open: each changelist, add page and a change and history page of
an object they may see (the fullest one: most appearances, most reviews), and the custom pages
(workflow steps, the review form, reports, uploads). Used by the layout browser test."""

from __future__ import annotations

import contextlib

from django.contrib import admin
from django.db.models import Count
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from claims.models import Claim
from reviews import services
from reviews.roles import is_editor


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _fullest(model, queryset):
    """The object of `queryset` likely to make the widest page."""
    if model is Claim:
        queryset = queryset.annotate(_reviews=Count("reviews", distinct=True)).order_by("-_reviews", "-pk")
    return queryset.order_by(*(queryset.query.order_by or ["-pk"])).first()


def admin_pages(user) -> list[str]:
    """The admin URLs `user` may open, each once."""
    request = _request(user)
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_or_change_permission(request):
            continue
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{info}_changelist"))
        if model_admin.has_add_permission(request):
            urls.append(reverse(f"{info}_add"))
        obj = _fullest(model, model_admin.get_queryset(request))
        if obj is not None:
            urls.append(reverse(f"{info}_change", args=[obj.pk]))
            with contextlib.suppress(NoReverseMatch):  # models without history pages
                urls.append(reverse(f"{info}_history", args=[obj.pk]))
    claims = Claim.objects.visible_to(user)
    for status in ("draft", "submitted", "in_review", "reviewed", "published"):
        claim = claims.filter(status=status).order_by("-pk").first()
        if claim is None:
            continue
        urls.append(reverse("admin:claims_claim_change", args=[claim.pk]))
        for action in services.allowed_actions(claim=claim, user=user):
            if action == "review":
                urls.append(f"{reverse('admin:reviews_review_add')}?claim={claim.pk}")
            elif action != "submit":
                urls.append(reverse("admin:claims_claim_workflow", args=[claim.pk, action]))
    for name in ("claims_conflict_timeline", "claims_conflict_graph"):
        urls.append(reverse(f"admin:{name}"))
    if is_editor(user):
        urls.append(reverse("admin:reviews_agreement"))
    if user.has_perm("reviews.add_externalreview"):
        urls.append(reverse("admin:reviews_externalreview_upload"))
    wage = claims.filter(kind="wage").order_by("pk").first()
    if wage is not None and user.has_perm("claims.change_claim"):
        urls.append(reverse("admin:claims_wagefigure_propose", args=[wage.pk]))
    return list(dict.fromkeys(urls))
