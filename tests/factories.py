"""Factories for test data. Tests build what they need here; fixtures/ is demo data only."""

import hashlib

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from claims import anchoring
from claims.models import Appearance, Claim, Entity, SourceDocument

DOC_TEXT = (
    "Campaign spokesperson Jane Roe said the campaign “didn’t know about this” and ended the contract.\u00a0"
    "The call center pays $7.25 an hour to the department, which pays inmates up to $20 per month."
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class EntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entity

    name = factory.Sequence(lambda n: f"Entity {n}")
    slug = factory.Sequence(lambda n: f"entity-{n}")
    kind = Entity.Kind.ORGANISATION


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourceDocument

    text = factory.Sequence(lambda n: f"Document {n}. {DOC_TEXT}")
    sha256 = factory.LazyAttribute(lambda d: hashlib.sha256(d.text.encode("utf-8")).hexdigest())
    source_file = factory.Sequence(lambda n: f"doc_{n}.txt")
    title = factory.Sequence(lambda n: f"Document {n}")
    outlet = "The Example Times"


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    text = factory.Sequence(lambda n: f"Checkable statement number {n}.")
    slug = factory.Sequence(lambda n: f"claim-{n}")
    kind = Claim.Kind.OTHER
    claimant = factory.SubFactory(EntityFactory)


class AppearanceFactory(factory.django.DjangoModelFactory):
    """An appearance anchored on `quote` (default: the $7.25 figure) in the document's text."""

    class Meta:
        model = Appearance
        exclude = ("quote", "selector")

    claim = factory.SubFactory(ClaimFactory)
    document = factory.SubFactory(DocumentFactory)
    quote = "$7.25 an hour"

    @factory.lazy_attribute
    def selector(self):
        return anchoring.find_quote(self.document.text, self.quote)

    exact = factory.LazyAttribute(lambda a: a.selector.exact)
    prefix = factory.LazyAttribute(lambda a: a.selector.prefix)
    suffix = factory.LazyAttribute(lambda a: a.selector.suffix)
    start = factory.LazyAttribute(lambda a: a.selector.start)
    end = factory.LazyAttribute(lambda a: a.selector.end)


def make_user(username: str, *groups: str, staff: bool = True, superuser: bool = False):
    """A user in the named groups ("Editors", "Reviewers", created by migration)."""
    user = UserFactory(username=username, is_staff=staff, is_superuser=superuser)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def rating(slug: str):
    """A step of the rating scale seeded by migration (reviews 0003)."""
    from reviews.models import Rating

    return Rating.objects.get(slug=slug)


WORKFLOW_STATES = ["draft", "submitted", "in_review", "reviewed", "published", "retracted"]


def drive_claim(claim, state: str, *, editor, reviewers, rating_slug: str = "true"):
    """Take `claim` (with an appearance) from its status to `state` through the workflow services."""
    from reviews import services
    from reviews.services import EvidenceInput

    def review_all():
        appearance = claim.appearances.first()
        evidence = EvidenceInput(stance="supports", document=appearance.document, quote=appearance.exact)
        for reviewer in reviewers:
            services.review_record(
                claim=claim, reviewer=reviewer, rating=rating(rating_slug), rationale="Checked.", evidence=[evidence]
            )

    steps = [
        lambda: services.claim_submit_for_review(claim=claim, by=editor),
        lambda: services.claim_assign_reviewers(claim=claim, by=editor, reviewers=reviewers),
        review_all,
        lambda: services.claim_publish(claim=claim, by=editor, rating=rating(rating_slug), summary="It is so."),
        lambda: services.verdict_retract(claim=claim, by=editor, reason="Source withdrawn."),
    ]
    for step in steps[WORKFLOW_STATES.index(claim.status) : WORKFLOW_STATES.index(state)]:
        step()
    claim.refresh_from_db()
    return claim
