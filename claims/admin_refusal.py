"""The admin's answer to an object the user may not see: a styled 403 page saying why.

Shared by every ModelAdmin whose get_queryset applies a visibility rule (claims, facts,
conflicts, and the workflow's reviews, evidence, verdicts, assignments and transitions).
"""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse


class RefuseHiddenAdminMixin:
    """Change, delete and history pages of an object outside `get_queryset(request)` (the user's
    visibility) answer with a styled 403 page saying why and linking back to the list, never
    Django's "doesn't exist. Perhaps it was deleted?"; an id that exists nowhere is a 404 page."""

    hidden_reason = "You may not see this record."

    def refused(self, request, object_id, *, reason: str | None = None) -> TemplateResponse:
        """The 403 page for a hidden object, or the 404 page when there is no such object at all."""
        opts = self.model._meta
        try:
            exists = self.model._default_manager.filter(pk=unquote(object_id)).exists()
        except (ValueError, ValidationError):
            exists = False
        changelist = f"admin:{opts.app_label}_{opts.model_name}_changelist"
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": "Not allowed" if exists else "Not found",
            "reason": (reason or self.hidden_reason)
            if exists
            else f"There is no {opts.verbose_name} with id {object_id}.",
            "changelist_url": reverse(changelist) if self.has_view_or_change_permission(request) else "",
        }
        return TemplateResponse(request, "admin/refused.html", context, status=403 if exists else 404)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django's one hook for "get_object found nothing" on change, delete and history pages.
        return self.refused(request, object_id)
