"""The desk's two roles. Groups carry the permissions; code asks about permissions, not names."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

# Held by the Reviewers group (reviews migration 0007).
REVIEW_CLAIMS = "reviews.review_claims"


def is_editor(user) -> bool:
    """Editors see every claim and review (superusers count as editors)."""
    return bool(user is not None and user.is_active and user.has_perm("reviews.view_all_reviews"))


def reviewers() -> QuerySet:
    """Active users who may be assigned claims to review: granted the permission, through a group
    or directly. A superuser is one only when granted it, so the reviewer list stays the desk's."""
    return get_user_model().objects.with_perm(REVIEW_CLAIMS, is_active=True, include_superusers=False)


def is_reviewer(user) -> bool:
    """Whether `user` may be assigned a claim to review."""
    if user is None or not user.is_active or not user.is_authenticated:
        return False
    return reviewers().filter(pk=user.pk).exists()
