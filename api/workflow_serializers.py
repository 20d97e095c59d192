"""Input of the workflow endpoints (validated here, then handed to reviews.services)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from api.base import BoundedListField, StrictSerializerMixin
from claims.models import Conflict, SourceDocument
from reviews.models import Evidence, Rating
from reviews.services import EvidenceInput

VALID_UNTIL_HELP = "YYYY-MM-DD: the last day the verdict holds (none: no end)."
RECHECK_BY_HELP = "YYYY-MM-DD: when the desk looks at it again (none: RECHECK_AFTER_DAYS for the claim's kind)."


def _rating_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="slug", queryset=Rating.objects.all(), help_text="A rating's slug.", **kwargs
    )


class NoteSerializer(StrictSerializerMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class AssignSerializer(StrictSerializerMixin, serializers.Serializer):
    reviewers = BoundedListField(
        child=serializers.SlugRelatedField(slug_field="username", queryset=get_user_model().objects.all()),
        max_length=20,
        help_text="Usernames of the reviewers; reassigning replaces the set.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class EvidenceSerializer(StrictSerializerMixin, serializers.Serializer):
    """A passage (document + quote, or offsets) or an outside URL (with a title)."""

    stance = serializers.ChoiceField(choices=Evidence.Stance.choices)
    document = serializers.PrimaryKeyRelatedField(queryset=SourceDocument.objects.all(), required=False)
    quote = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    occurrence = serializers.IntegerField(required=False, min_value=1)
    prefix = serializers.CharField(required=False, allow_blank=True, max_length=200)
    suffix = serializers.CharField(required=False, allow_blank=True, max_length=200)
    start = serializers.IntegerField(required=False, min_value=0)
    end = serializers.IntegerField(required=False, min_value=1)
    url = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    title = serializers.CharField(required=False, allow_blank=True, max_length=300)
    excerpt = serializers.CharField(required=False, allow_blank=True, max_length=5000)

    def to_internal_value(self, data) -> EvidenceInput:
        return EvidenceInput(**super().to_internal_value(data))


class ReviewSerializer(StrictSerializerMixin, serializers.Serializer):
    rating = _rating_field()
    rationale = serializers.CharField(max_length=10000)
    evidence = BoundedListField(child=EvidenceSerializer(), max_length=50)


class ReviewOutSerializer(serializers.Serializer):
    claim = serializers.IntegerField()
    claim_status = serializers.CharField()
    rating = serializers.CharField()
    status = serializers.CharField()
    version = serializers.IntegerField()


class ReasonSerializer(StrictSerializerMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class PublishSerializer(StrictSerializerMixin, serializers.Serializer):
    rating = _rating_field()
    summary = serializers.CharField(max_length=10000)
    resolution = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    cited_conflicts = BoundedListField(
        child=serializers.PrimaryKeyRelatedField(queryset=Conflict.objects.all()), required=False, max_length=50
    )
    valid_until = serializers.DateField(required=False, allow_null=True, help_text=VALID_UNTIL_HELP)
    recheck_by = serializers.DateField(required=False, allow_null=True, help_text=RECHECK_BY_HELP)


class CorrectSerializer(StrictSerializerMixin, serializers.Serializer):
    rating = _rating_field()
    summary = serializers.CharField(max_length=10000)
    note = serializers.CharField(max_length=5000, help_text="What the correction changes.")
    valid_until = serializers.DateField(required=False, allow_null=True, help_text=VALID_UNTIL_HELP)
    recheck_by = serializers.DateField(required=False, allow_null=True, help_text=RECHECK_BY_HELP)
