"""Serializers: the output shapes for the OpenAPI schema, and validation of write input.

The feed itself is built by api.feed as plain dicts (see there why); the output
serializers here only describe that shape, and a test checks every key agrees.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.base import BoundedListField, StrictSerializerMixin
from claims.matching import Match
from claims.models import (
    Claim,
    ContractRole,
    ContractStatus,
    Currency,
    Entity,
    KnowledgePolarity,
    Period,
    Qualifier,
    SourceDocument,
)
from reviews.models import Evidence, Verdict

# --- Output (documentation of api.feed's dicts) ---------------------------------------


class EntityOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    kind = serializers.ChoiceField(choices=Entity.Kind.choices)


class ClaimantOutSerializer(EntityOutSerializer):
    url = serializers.CharField(help_text="The claimant's own web page, or an empty string.")


class RatingOutSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="The verdict in words, e.g. 'Mostly true'.")
    slug = serializers.CharField()
    value = serializers.IntegerField(allow_null=True, help_text="Place on the truth scale; null for off-scale ratings.")
    best = serializers.IntegerField(allow_null=True, help_text="The scale's best value (null when off-scale).")
    worst = serializers.IntegerField(allow_null=True, help_text="The scale's worst value (null when off-scale).")


class VerdictOutSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="1 for the original verdict, then one more per correction.")
    kind = serializers.ChoiceField(choices=Verdict.Kind.choices)
    rating = RatingOutSerializer()
    summary = serializers.CharField()
    correction_note = serializers.CharField(allow_blank=True, help_text="What a correction changed, or why retracted.")
    published_at = serializers.DateTimeField()
    valid_until = serializers.DateField(
        allow_null=True, help_text="The last day the verdict holds, if the desk set one."
    )
    recheck_by = serializers.DateField(allow_null=True, help_text="When the desk looks at the verdict again.")


class AppearanceOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    document = serializers.IntegerField(help_text="The source document's id.")
    outlet = serializers.CharField(allow_blank=True)
    title = serializers.CharField(allow_blank=True)
    document_url = serializers.CharField(allow_blank=True, help_text="The article's own URL, when known.")
    published_on = serializers.DateField(allow_null=True)
    exact = serializers.CharField(help_text="The quote, exactly as in the document (W3C TextQuoteSelector).")
    prefix = serializers.CharField(allow_blank=True)
    suffix = serializers.CharField(allow_blank=True)
    start = serializers.IntegerField(help_text="Offset in Unicode code points, inclusive.")
    end = serializers.IntegerField(help_text="Offset in Unicode code points, exclusive.")


class EvidenceOutSerializer(serializers.Serializer):
    stance = serializers.ChoiceField(choices=Evidence.Stance.choices)
    document = serializers.IntegerField(allow_null=True, help_text="For a passage: the document's id.")
    exact = serializers.CharField(allow_blank=True)
    prefix = serializers.CharField(allow_blank=True)
    suffix = serializers.CharField(allow_blank=True)
    start = serializers.IntegerField(allow_null=True)
    end = serializers.IntegerField(allow_null=True)
    url = serializers.CharField(allow_blank=True, help_text="For an outside source: its URL.")
    title = serializers.CharField(allow_blank=True)
    excerpt = serializers.CharField(allow_blank=True)


class ConflictOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    other_claim = serializers.IntegerField(help_text="The claim this one disagrees with.")
    field = serializers.CharField(help_text="The structured field on which they differ.")
    value = serializers.CharField(help_text="This claim's value.")
    other_value = serializers.CharField()
    explanation = serializers.CharField()


DECIMAL_STRING = {"type": "string", "pattern": r"^[0-9]+\.[0-9]+$", "example": "7.25"}


@extend_schema_field(DECIMAL_STRING)
class DecimalStringField(serializers.CharField):
    """A decimal number as a string (no float rounding): e.g. "7.25"."""


class ConvertedRateOutSerializer(serializers.Serializer):
    amount = DecimalStringField(help_text="The rate in this period, rounded half up to the cent.")
    assumptions = serializers.CharField(
        help_text="The desk's assumptions used for the conversion, in words ('no conversion' when none were needed)."
    )


class WageOutSerializer(serializers.Serializer):
    amount = DecimalStringField(help_text="The figure as stated, in `currency` per `period`.")
    currency = serializers.ChoiceField(choices=Currency.choices, help_text="ISO 4217 code.")
    period = serializers.ChoiceField(choices=Period.choices)
    qualifier = serializers.ChoiceField(choices=Qualifier.choices)
    payer = EntityOutSerializer(allow_null=True)
    payee = EntityOutSerializer(allow_null=True)
    measure = serializers.CharField(allow_blank=True, help_text="Shared by every claim about the same pay.")
    refers_from = serializers.DateField(allow_null=True, help_text="The period the figure refers to: from.")
    refers_to = serializers.DateField(allow_null=True, help_text="The period the figure refers to: to.")
    hourly = ConvertedRateOutSerializer(allow_null=True, help_text="Per hour; null for a lump sum.")
    monthly = ConvertedRateOutSerializer(allow_null=True, help_text="Per month; null for a lump sum.")


class ContractOutSerializer(serializers.Serializer):
    engager = EntityOutSerializer()
    engaged = EntityOutSerializer()
    role = serializers.ChoiceField(choices=ContractRole.choices, help_text="The engaged party's role.")
    status = serializers.ChoiceField(choices=ContractStatus.choices)
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)


class KnowledgeOutSerializer(serializers.Serializer):
    actor = EntityOutSerializer()
    polarity = serializers.ChoiceField(choices=KnowledgePolarity.choices)
    date = serializers.DateField(allow_null=True, help_text="When, as a date.")
    event = serializers.CharField(allow_blank=True, help_text="When, as an event (e.g. 'after a reporter's inquiry').")
    about = serializers.CharField(allow_blank=True, help_text="What was known, in words (may be empty).")
    about_claim = serializers.IntegerField(
        allow_null=True, help_text="The claim the knowledge is about, when it has one you may see."
    )


class QuantityOutSerializer(serializers.Serializer):
    measure = serializers.CharField(help_text="What is counted; shared by every claim counting the same thing.")
    value = DecimalStringField()
    unit = serializers.CharField(allow_blank=True)
    qualifier = serializers.ChoiceField(choices=Qualifier.choices)


class EventOutSerializer(serializers.Serializer):
    actor = EntityOutSerializer()
    action = serializers.CharField()
    recipient = EntityOutSerializer(allow_null=True)
    object = serializers.CharField(allow_blank=True)
    date = serializers.DateField(allow_null=True)


class FactsOutSerializer(serializers.Serializer):
    wage = WageOutSerializer(allow_null=True)
    contract = ContractOutSerializer(allow_null=True)
    knowledge = KnowledgeOutSerializer(allow_null=True)
    quantity = QuantityOutSerializer(allow_null=True)
    event = EventOutSerializer(allow_null=True)


class ClaimOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField(help_text="This claim's API path.")
    slug = serializers.CharField()
    text = serializers.CharField(help_text="The claim, worded neutrally (not the verdict).")
    kind = serializers.ChoiceField(choices=Claim.Kind.choices)
    status = serializers.ChoiceField(
        choices=Claim.Status.choices, help_text="published or retracted for the public; staff also see the rest."
    )
    under_recheck = serializers.BooleanField(
        help_text="The desk is re-checking the verdict: a source changed or the verdict is due for review."
    )
    version = serializers.IntegerField(help_text="Edit counter (the ETag for If-Match is derived from it).")
    claimant = ClaimantOutSerializer()
    entities = EntityOutSerializer(many=True)
    published_at = serializers.DateTimeField(allow_null=True, help_text="When the first verdict was published.")
    updated_at = serializers.DateTimeField(allow_null=True, help_text="When the latest verdict version was published.")
    verdict = VerdictOutSerializer(allow_null=True, help_text="The current verdict; null before publication.")
    earlier_verdicts = VerdictOutSerializer(many=True, help_text="Earlier versions, newest first.")
    appearances = AppearanceOutSerializer(many=True)
    first_appearance = AppearanceOutSerializer(allow_null=True)
    evidence = EvidenceOutSerializer(many=True, help_text="Evidence of the reviews behind the published verdict.")
    conflicts = ConflictOutSerializer(many=True, help_text="Confirmed disagreements with other claims.")
    facts = FactsOutSerializer(help_text="The claim's structured facts, typed; null for each kind it does not carry.")


class DocumentOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    api_url = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    outlet = serializers.CharField(allow_blank=True)
    author = serializers.CharField(allow_blank=True)
    published_on = serializers.DateField(allow_null=True)
    url = serializers.CharField(allow_blank=True)
    source_file = serializers.CharField()
    sha256 = serializers.CharField()
    imported_at = serializers.DateTimeField()
    previous_version = serializers.IntegerField(allow_null=True)


class DocumentDetailOutSerializer(DocumentOutSerializer):
    text = serializers.CharField(help_text="The text exactly as imported; offsets index into it.")


# --- Input -------------------------------------------------------------------------------


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class EntityRefField(serializers.Field):
    """An entity by id or slug."""

    default_error_messages = {"missing": "There is no entity {value!r}."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str) or data in ("",):
            self.fail("missing", value=data)
        lookup = {"pk": data} if isinstance(data, int) or str(data).isdigit() else {"slug": data}
        try:
            return Entity.objects.get(**lookup)
        except (Entity.DoesNotExist, ValueError):
            self.fail("missing", value=data)

    def to_representation(self, value):
        return value.slug


class ClaimWriteSerializer(StrictSerializerMixin, serializers.Serializer):
    text = serializers.CharField(max_length=5000)
    kind = serializers.ChoiceField(choices=Claim.Kind.choices)
    claimant = EntityRefField(help_text="The claimant's id or slug.")
    entities = BoundedListField(child=EntityRefField(), required=False, max_length=200)
    slug = serializers.SlugField(max_length=80, required=False, help_text="Derived from the text when omitted.")


class ClaimUpdateSerializer(ClaimWriteSerializer):
    """PATCH sends any subset; PUT all of text, kind and claimant."""

    slug = None


class AppearanceWriteSerializer(StrictSerializerMixin, serializers.Serializer):
    document = serializers.PrimaryKeyRelatedField(queryset=SourceDocument.objects.all())
    quote = serializers.CharField(max_length=5000, help_text="Paste the quote; its offsets are found for you.")
    prefix = serializers.CharField(required=False, allow_blank=True, max_length=200)
    suffix = serializers.CharField(required=False, allow_blank=True, max_length=200)
    occurrence = serializers.IntegerField(required=False, min_value=1, help_text="Which occurrence, when repeated.")
    start = serializers.IntegerField(required=False, min_value=0)
    end = serializers.IntegerField(required=False, min_value=1)


class AppearanceOutWriteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    claim = serializers.IntegerField()
    document = serializers.IntegerField()
    exact = serializers.CharField()
    prefix = serializers.CharField(allow_blank=True)
    suffix = serializers.CharField(allow_blank=True)
    start = serializers.IntegerField()
    end = serializers.IntegerField()


MATCH_TEXT_MAX = 5000


class MatchRequestSerializer(StrictSerializerMixin, serializers.Serializer):
    text = serializers.CharField(max_length=MATCH_TEXT_MAX, help_text="A passage, quote or claim text.")


class MatchOutSerializer(serializers.Serializer):
    claim = serializers.IntegerField(help_text="The matching claim's id.")
    slug = serializers.CharField()
    claim_text = serializers.CharField()
    score = serializers.FloatField(help_text="Cosine similarity of character n-grams, 0 to 1.")
    likely_same = serializers.BooleanField(help_text="At or above MATCH_LIKELY_THRESHOLD: probably the same claim.")
    matched = serializers.ChoiceField(choices=["claim text", "quote"], help_text="Which passage matched best.")
    passage = serializers.CharField(help_text="The claim text or anchored quote that matched.")
    appearance = serializers.IntegerField(allow_null=True, help_text="The appearance whose quote matched, if any.")


class MatchResponseSerializer(serializers.Serializer):
    suggest_threshold = serializers.FloatField()
    likely_threshold = serializers.FloatField()
    matches = MatchOutSerializer(many=True)


def represent_matches(matches: list[Match]) -> list[dict]:
    """Matches as MatchOutSerializer describes them (one query for the claims' slugs and texts)."""
    rows = Claim.objects.filter(pk__in=[m.claim_id for m in matches]).values_list("pk", "slug", "text")
    claims = {pk: (slug, text) for pk, slug, text in rows}
    return [
        {
            "claim": m.claim_id,
            "slug": claims[m.claim_id][0],
            "claim_text": claims[m.claim_id][1],
            "score": m.score,
            "likely_same": m.likely_same,
            "matched": m.matched,
            "passage": m.passage,
            "appearance": m.appearance_id,
        }
        for m in matches
        if m.claim_id in claims
    ]


class ClaimCreatedSerializer(ClaimOutSerializer):
    possible_duplicates = MatchOutSerializer(
        many=True, help_text="Existing claims whose text likely says the same: the claim was created all the same."
    )
