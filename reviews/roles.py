"""The desk's two roles. Groups carry the permissions; code asks about permissions, not names."""

from __future__ import annotations

EDITORS = "Editors"
REVIEWERS = "Reviewers"


def is_editor(user) -> bool:
    """Editors see every claim and review (superusers count as editors)."""
    return bool(user is not None and user.is_active and user.has_perm("reviews.view_all_reviews"))


def is_reviewer(user) -> bool:
    """Only members of the Reviewers group can be assigned a claim to review."""
    if user is None or not user.is_active or not user.is_authenticated:
        return False
    return user.groups.filter(name=REVIEWERS).exists()
