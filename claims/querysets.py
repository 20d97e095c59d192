"""Read vocabulary for claims and documents: chainable querysets."""

from __future__ import annotations

from django.db import models
from django.db.models import Prefetch, Q

# The statuses whose verdict the public sees (a retracted claim stays public, marked retracted).
# Defined once here; everything else reads it from this module or through `.published()`.
PUBLIC_STATUSES = ("published", "retracted")

# The permission that lets a user see every claim, drafts included (granted to Editors).
VIEW_ALL_CLAIMS = "claims.view_all_claims"
# Why a reviewer is refused a claim outside their visibility (admin and API say the same).
NOT_ASSIGNED = "You are not assigned to this claim: before publication, only its reviewers and the editors see it."


def _is_staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def sees_all_claims(user) -> bool:
    """Editors and superusers: every claim, drafts included (a permission, not a group name)."""
    return _is_staff(user) and (user.is_superuser or user.has_perm(VIEW_ALL_CLAIMS))


def sees_assigned_claims(user) -> bool:
    """Staff who do not see everything (reviewers): the public claims and those they were assigned."""
    return _is_staff(user) and not sees_all_claims(user)


def sees_only_public(user) -> bool:
    """Everyone else (anonymous readers, signed-in non-staff): the published and retracted claims only."""
    return not _is_staff(user)


def claim_visibility(user, path: str = "") -> Q:
    """Who sees which claim, the one rule: a Q over claims, or over rows reaching a claim via `path`
    (e.g. "claim__", "claim_a__", "appearances__claim__").

    - anonymous users and users who are not staff: published and retracted claims;
    - reviewers (staff without `claims.view_all_claims`): those, plus every claim they are or
      ever were assigned to (assignments are never deleted; reassigning deactivates them);
    - editors and superusers: everything (an empty Q, so no filter at all).

    This is the one place the claims app reads the workflow's assignments: through the reverse
    relation `assignments__reviewer`, so claims never imports reviews.
    """
    if sees_all_claims(user):
        return Q()
    public = Q(**{f"{path}status__in": PUBLIC_STATUSES})
    if sees_only_public(user):
        # Plain `status IN (...)`: the public feed runs on it at 100,000 claims.
        return public
    from claims.models import Claim

    # A `pk IN (subquery)`, not a join: no duplicate rows, no DISTINCT over the archive.
    assigned = Claim.objects.filter(assignments__reviewer=user).values("pk")
    return public | Q(**{f"{path}pk__in": assigned})


class EntityQuerySet(models.QuerySet):
    pass


class DocumentQuerySet(models.QuerySet):
    def latest_versions(self) -> DocumentQuerySet:
        """Documents that have not been superseded by a newer import of the same file."""
        return self.filter(next_version__isnull=True)


class AppearanceQuerySet(models.QuerySet):
    def visible_to(self, user) -> AppearanceQuerySet:
        """Anchored quotes of the claims `user` may see (see `claim_visibility`)."""
        return self.filter(claim_visibility(user, "claim__"))

    def with_document(self) -> AppearanceQuerySet:
        return self.select_related("document")


class ClaimQuerySet(models.QuerySet):
    def published(self) -> ClaimQuerySet:
        """Claims whose verdict is public (retracted ones stay public, marked as retracted)."""
        return self.filter(status__in=PUBLIC_STATUSES)

    def visible_to(self, user) -> ClaimQuerySet:
        """The claims `user` may see, in every door (API, admin, feeds); see `claim_visibility`."""
        return self.filter(claim_visibility(user))

    def merged_away(self) -> ClaimQuerySet:
        """Claims merged into another (`merged_into`, one hop): their addresses redirect there."""
        return self.filter(status="merged")

    def naming(self, entity) -> ClaimQuerySet:
        """Claims whose representation shows the entity: as claimant, subject or a party to a fact."""
        from claims.models import ContractRelation, Entity, EventFact, KnowledgeFact, QuantityFact, WageFigure

        shown = models.Q(claimant=entity) | models.Q(entities=entity)
        for model in (WageFigure, ContractRelation, KnowledgeFact, QuantityFact, EventFact):
            for field in model._meta.get_fields():
                if field.many_to_one and field.related_model is Entity:
                    shown |= models.Q(pk__in=model.objects.filter(**{field.name: entity}).values("claim_id"))
        return self.filter(pk__in=self.model._default_manager.filter(shown).values("pk"))

    def with_details(self) -> ClaimQuerySet:
        """Everything a claim's read representation needs, in a fixed number of queries."""
        from claims.models import Appearance

        return self.select_related("claimant").prefetch_related(
            "entities",
            Prefetch(
                "appearances", queryset=Appearance.objects.select_related("document").order_by("document_id", "start")
            ),
        )


class ChangeQuerySet(models.QuerySet):
    def public(self) -> ChangeQuerySet:
        """Changes the public could see happen: the claim was public before or after the write.

        A claim leaving the public view (a retraction, a withdrawal) is therefore public too.
        """
        return self.filter(models.Q(public_before=True) | models.Q(public_after=True))

    def with_page_slug(self) -> ChangeQuerySet:
        """Each change with its claim's slug (`page_slug`), for the event's public page, in the same query."""
        from claims.models import Claim

        return self.annotate(
            page_slug=models.Subquery(Claim.objects.filter(pk=models.OuterRef("claim_id")).values("slug")[:1])
        )

    def visible_to(self, user) -> ChangeQuerySet:
        """The public changes for everyone; for the desk also the changes to claims it sees beyond the public view.

        Which claims those are is Claim.objects.visible_to's decision. A change made while a claim
        was not public stays hidden from readers who only see it now that it is public: the change
        that made it public is in their stream, and that is the state they mirror.
        """
        from claims.models import Claim

        if sees_only_public(user):
            # Nothing beyond the public view: asking the database for it anyway made it scan every
            # public claim for none (28 ms of every anonymous /api/changes/ page at 100,000 claims).
            return self.public()
        beyond_public = Claim.objects.visible_to(user).exclude(status__in=PUBLIC_STATUSES)
        return self.filter(
            models.Q(public_before=True)
            | models.Q(public_after=True)
            | models.Q(claim_id__in=beyond_public.values("pk"))
        )
