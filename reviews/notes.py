"""Notes on a claim: the desk's discussion thread, for its editors and the claim's reviewers.

Notes are added, never edited or deleted, and kept in history. The blind-review rule holds: a
note written by one of the claim's reviewers may speak of their rating, so the claim's other
reviewers see it only once they have submitted their own review (as for reviews). @username
mentions notify the people named who may read the note.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from claims.errors import NotPermitted
from claims.models import Claim
from reviews import notifications
from reviews.models import Assignment, Note
from reviews.roles import is_editor

MAX_NOTE = 5000


def may_discuss(claim: Claim, user) -> bool:
    """Editors, and the reviewers ever assigned to the claim."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return is_editor(user) or Assignment.objects.filter(claim=claim, reviewer=user).exists()


def note_add(*, claim: Claim, author: AbstractBaseUser, text: str) -> Note:
    """Add a note to the claim's thread and notify the people it @mentions who may read it."""
    if not may_discuss(claim, author):
        raise NotPermitted("note_permission", "Only editors and the claim's reviewers take part in its notes.")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write the note."})
    if len(text) > MAX_NOTE:
        raise ValidationError({"text": f"A note is at most {MAX_NOTE} characters."})
    with transaction.atomic():
        blind = not is_editor(author)
        note = Note(claim=claim, author=author, text=text, by_reviewer=blind)
        note.full_clean()
        note._history_user = author
        note.save()
        names = notifications.mentioned_usernames(text)
        mentioned = [
            user
            for user in get_user_model().objects.filter(username__in=names, is_active=True)
            if Note.objects.visible_to(user).filter(pk=note.pk).exists()
        ]
        note.mentions.set(mentioned)
        notifications.on_mentioned(claim=claim, author=author, users=mentioned, text=text)
    return note
