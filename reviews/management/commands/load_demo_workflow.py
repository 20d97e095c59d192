"""Drive the curated claims through the review workflow, for the local demo."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from claims.errors import ServiceError
from claims.models import Claim, SourceDocument
from reviews import services
from reviews.models import Rating, Review
from reviews.services import STATUS_ORDER, EvidenceInput

Status = Claim.Status
DEMO_USERS = ("editor", "reviewer1", "reviewer2")


class Command(BaseCommand):
    help = (
        "Drive each claim listed in a workflow fixture (fixtures/workflow.json) to its state through the "
        "workflow services, as the demo users editor, reviewer1 and reviewer2 (run create_demo_accounts "
        "first). Claims already at or past their state are skipped, so re-running changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The workflow fixture, e.g. fixtures/workflow.json")

    def handle(self, *args, path: Path, **options):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_USERS)}
        missing = [name for name in DEMO_USERS if name not in users]
        if missing:
            raise CommandError(
                f"Demo users missing ({', '.join(missing)}): run `manage.py create_demo_accounts` first."
            )
        self.users = users
        self.ratings = {rating.slug: rating for rating in Rating.objects.all()}

        driven, skipped = Counter(), 0
        # One transaction: a fixture error leaves the database exactly as it was.
        with transaction.atomic():
            for entry in data.get("claims", []):
                slug = entry.get("claim")
                claim = Claim.objects.filter(slug=slug).first()
                if claim is None:
                    raise CommandError(f"Claim {slug!r} does not exist: run `manage.py load_curated` first.")
                target = Status.RETRACTED if entry.get("retraction") else entry.get("state", Status.DRAFT)
                if target not in STATUS_ORDER:
                    raise CommandError(f"{slug}: unknown state {target!r}.")
                if STATUS_ORDER.index(claim.status) >= STATUS_ORDER.index(target):
                    skipped += 1
                    continue
                try:
                    self.drive(claim, entry, target)
                except (ServiceError, ValidationError) as exc:
                    message = exc.message if isinstance(exc, ServiceError) else "; ".join(exc.messages)
                    raise CommandError(f"{slug}: {message}") from exc
                driven[target] += 1
        states = ", ".join(
            f"{count} {state}" for state, count in sorted(driven.items(), key=lambda i: STATUS_ORDER.index(i[0]))
        )
        self.stdout.write(
            f"Workflow: {sum(driven.values())} claims driven ({states or 'none'}); "
            f"{skipped} already at or past their state, skipped."
        )

    def reached(self, claim: Claim, state: str) -> bool:
        return STATUS_ORDER.index(claim.status) >= STATUS_ORDER.index(state)

    def rating(self, slug: str) -> Rating:
        try:
            return self.ratings[slug]
        except KeyError:
            raise CommandError(f"Unknown rating {slug!r}; the scale has {', '.join(self.ratings)}.") from None

    def drive(self, claim: Claim, entry: dict, target: str) -> None:
        editor = self.users["editor"]
        if claim.status == Status.DRAFT:
            services.claim_submit_for_review(claim=claim, by=editor)
        if target == Status.SUBMITTED:
            return
        if claim.status == Status.SUBMITTED:
            reviewers = [self.users["reviewer1"], self.users["reviewer2"]]
            services.claim_assign_reviewers(claim=claim, by=editor, reviewers=reviewers)
        if claim.status == Status.IN_REVIEW:
            done = set(Review.objects.submitted().filter(claim=claim).values_list("reviewer__username", flat=True))
            for review in entry.get("reviews", []):
                if review["reviewer"] in done:
                    continue
                services.review_record(
                    claim=claim,
                    reviewer=self.users[review["reviewer"]],
                    rating=self.rating(review["rating"]),
                    rationale=review["rationale"],
                    evidence=[self.evidence(item) for item in review.get("evidence", [])],
                )
        if target == Status.IN_REVIEW:
            return
        if not self.reached(claim, Status.REVIEWED):
            raise CommandError(
                f"{claim.slug}: the fixture's reviews do not complete the review (state {claim.status})."
            )
        verdict = entry.get("verdict")
        if target == Status.REVIEWED:
            return
        if not verdict:
            raise CommandError(f"{claim.slug}: state {target} needs a verdict.")
        services.claim_publish(
            claim=claim,
            by=editor,
            rating=self.rating(verdict["rating"]),
            summary=verdict["summary"],
            resolution=verdict.get("resolution", ""),
        )
        for correction in entry.get("corrections") or []:
            services.verdict_correct(
                claim=claim,
                by=editor,
                rating=self.rating(correction["rating"]),
                summary=correction["summary"],
                note=correction["note"],
            )
        if entry.get("retraction"):
            services.verdict_retract(claim=claim, by=editor, reason=entry["retraction"]["reason"])

    def evidence(self, item: dict) -> EvidenceInput:
        if item.get("url"):
            return EvidenceInput(
                stance=item["stance"], url=item["url"], title=item.get("title", ""), excerpt=item.get("excerpt", "")
            )
        document = SourceDocument.objects.latest_versions().filter(source_file=item["document"]).first()
        if document is None:
            raise CommandError(
                f"Document {item['document']!r} is not imported: run `manage.py import_documents` first."
            )
        return EvidenceInput(
            stance=item["stance"],
            document=document,
            quote=item["quote"],
            occurrence=item.get("occurrence"),
            prefix=item.get("prefix", ""),
            suffix=item.get("suffix", ""),
        )
