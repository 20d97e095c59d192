"""A partner mirrors the feed the way the README says (GET /api/changes/, then re-fetch the claims
each page names) while writers publish, correct, retract and edit entities, appearances,
documents and facts, some holding their transaction open after logging the change. The mirror
must end exact: nothing missed, nothing stale, no event twice; and no ETag handed out during the
race may answer 304 for content that has since changed.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from claims import services
from claims.facts import services as facts
from claims.models import Appearance, Change, Claim
from reviews import services as workflow
from tests.factories import AppearanceFactory, ClaimFactory, DocumentFactory, EntityFactory, drive_claim, rating

WRITERS = 3
WRITES_PER_WRITER = 10
LATE_COMMIT_SECONDS = (0.05, 0.3)


def _json(response) -> dict | None:
    return response.json() if response.status_code == 200 else None


class Mirror:
    """The README's pull loop, plus a record of every ETag it was handed and the body it came with."""

    def __init__(self):
        self.client = APIClient()
        self.after: str | None = None
        self.claims: dict[int, dict] = {}
        self.positions: list[int] = []
        self.seen_etags: list[tuple[str, str, dict]] = []
        self.not_modified = 0

    def fetch(self, url: str) -> dict | None:
        response = self.client.get(url)
        if response.status_code == 200:
            self.seen_etags.append((url, response["ETag"], response.json()))
        return _json(response)

    def poll(self) -> None:
        while True:
            params = {"page_size": 3, **({"after": self.after} if self.after else {})}
            page = self.client.get("/api/changes/", params).json()
            self.positions += [event["position"] for event in page["results"]]
            for claim_id in dict.fromkeys(event["claim"] for event in page["results"]):
                body = self.fetch(f"/api/claims/{claim_id}/")
                if body is None:
                    self.claims.pop(claim_id, None)
                else:
                    self.claims[claim_id] = body
            self.after = page["next"]
            if not page["has_more"]:
                return

    def revalidate(self, url: str) -> None:
        """A conditional GET with the last ETag seen for `url` (the 304s are checked at the end)."""
        held = [(etag, body) for seen_url, etag, body in self.seen_etags if seen_url == url]
        if held:
            response = self.client.get(url, HTTP_IF_NONE_MATCH=held[-1][0])
            self.not_modified += response.status_code == 304
            if response.status_code == 200:
                self.seen_etags.append((url, response["ETag"], response.json()))
        else:
            self.fetch(url)


@pytest.fixture
def desk(transactional_db, editor, reviewer1, reviewer2):
    """Published, reviewed and draft claims quoted from two documents, with facts and entities."""
    documents = [DocumentFactory(), DocumentFactory()]
    claims = []
    for n in range(8):
        claim = ClaimFactory(kind="wage")
        AppearanceFactory(claim=claim, document=documents[n % 2])
        state = ["published", "published", "published", "reviewed", "reviewed", "draft", "published", "reviewed"][n]
        claims.append(drive_claim(claim, state, editor=editor, reviewers=[reviewer1, reviewer2]))
    return {"documents": documents, "claims": claims, "entities": [EntityFactory() for _ in range(2)]}


def _writes(desk, editor) -> list:
    """The write operations a writer picks from; each reloads what it touches."""

    def claim_in(*statuses):
        return Claim.objects.filter(pk__in=[c.pk for c in desk["claims"]], status__in=statuses).order_by("?").first()

    def publish():
        claim = claim_in("reviewed")
        if claim:
            workflow.claim_publish(claim=claim, by=editor, rating=rating("false"), summary=f"No ({time.time()}).")

    def correct():
        claim = claim_in("published")
        if claim:
            workflow.verdict_correct(
                claim=claim, by=editor, rating=rating("mixed"), summary=f"Mixed ({time.time()}).", note="New source."
            )

    def retract():
        claim = claim_in("published")
        if claim:
            workflow.verdict_retract(claim=claim, by=editor, reason="Source withdrawn.")

    def edit_entities():
        claim = claim_in("published", "retracted", "reviewed")
        entity = random.choice(desk["entities"])
        if claim:
            services.claim_update(claim=claim, by=editor, expected_version=claim.version, entities=[entity])

    def rename_entity():
        claim = claim_in("published", "retracted")
        if claim:
            services.entity_update(entity=claim.claimant, name=f"Claimant {time.time()}", by=editor)

    def move_appearance():
        claim = claim_in("published", "retracted")
        if claim is None:
            return
        appearances = list(Appearance.objects.filter(claim=claim))
        document = random.choice(desk["documents"])
        taken = {(a.document_id, a.start) for a in appearances}
        for quote in ("$7.25 an hour", "up to $20 per month", "the department"):
            start = document.text.find(quote)
            if (document.pk, start) not in taken:
                services.appearance_add(
                    claim=claim, document=document, quote=quote, start=start, end=start + len(quote), by=editor
                )
                return
        if len(appearances) > 1:
            services.appearance_remove(appearance=appearances[0], by=editor)

    def retitle_document():
        document = random.choice(desk["documents"])
        services.document_update_metadata(
            document=document, title=f"Title {time.time()}", outlet="O", author="", published_on=None, url="", by=editor
        )

    def set_fact():
        claim = claim_in("published", "retracted")
        if claim:
            # A measure of its own: two fact writes whose conflict detection links each other's
            # claims can deadlock on the foreign keys (a facts-service issue, not the log's).
            facts.wage_set(
                claim=claim, amount=str(random.randint(1, 99)), period="hour", measure=f"pay {claim.pk}", by=editor
            )

    return [publish, correct, retract, edit_entities, rename_entity, move_appearance, retitle_document, set_fact]


def late_commit(mirror: Mirror, desk, editor) -> None:
    """One transaction logs a correction and stays open while another commits a later edit and the
    mirror polls in between: the mirror must not move past the open transaction's change."""
    first, second = (Claim.objects.get(pk=c.pk) for c in desk["claims"][:2])
    recorded, committed, polled = threading.Event(), threading.Event(), threading.Event()

    def late():
        try:
            with transaction.atomic():
                workflow.verdict_correct(claim=first, by=editor, rating=rating("mixed"), summary="Late.", note="Late.")
                recorded.set()
                polled.wait(timeout=10)
        finally:
            connection.close()

    def other():
        recorded.wait(timeout=10)
        try:
            services.claim_update(claim=second, by=editor, expected_version=second.version, entities=desk["entities"])
        finally:
            committed.set()
            connection.close()

    threads = [threading.Thread(target=late), threading.Thread(target=other)]
    for thread in threads:
        thread.start()
    # The other edit commits at once unless positions are serialized until commit (then it waits).
    committed.wait(timeout=1.5)
    mirror.poll()
    mirror.fetch("/api/claims/?page_size=100")
    polled.set()
    for thread in threads:
        thread.join(timeout=30)


@pytest.mark.postgres
# serialized_rollback: the flush after a transactional test would otherwise drop the groups and
# the rating scale that migrations seed.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_pull_mirror_ends_exact_under_concurrent_and_late_commits(desk, editor, monkeypatch):
    # The reader polls as fast as it can: well past the anonymous rate limit, whose 429 (a body
    # without "results") is not what this test is about. Rates are read per request.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "1000000/minute", "user": "1000000/minute"})
    writes = _writes(desk, editor)
    retract = writes[2]
    assert retract.__name__ == "retract"
    mirror = Mirror()
    done = threading.Event()
    errors: list[BaseException] = []
    watched = ["/api/claims/?page_size=100", *(f"/api/claims/{c.pk}/" for c in desk["claims"])]

    def writer(seed: int):
        rng = random.Random(seed)
        # The first writer retracts first, so every run races a retraction (a random pick left
        # about one run in fifty without one); the rest is random.
        plan = [rng.choice(writes) for _ in range(WRITES_PER_WRITER)]
        if seed == 0:
            plan[0] = retract
        try:
            for write in plan:
                # Every other write logs its change, then keeps the transaction open a while.
                with transaction.atomic():
                    try:
                        write()
                    except Exception as exc:  # a refused step (stale version, wrong state) is fine
                        if not hasattr(exc, "rule") and not type(exc).__name__.endswith("ValidationError"):
                            raise
                    if rng.random() < 0.5:
                        time.sleep(rng.uniform(*LATE_COMMIT_SECONDS))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def reader():
        try:
            while not done.is_set():
                mirror.poll()
                for url in random.sample(watched, 3):
                    mirror.revalidate(url)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    late_commit(mirror, desk, editor)
    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(WRITERS)]
    reading = threading.Thread(target=reader)
    reading.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)  # generous: a loaded CI machine is slow, and a live writer would race the checks
    done.set()
    reading.join(timeout=600)
    assert not any(thread.is_alive() for thread in [*threads, reading]), "a writer or the reader hung"
    assert not errors, errors

    mirror.poll()  # the partner's next scheduled poll, after the writers stopped

    # Every public change, in order, once: nothing skipped by a late commit, nothing twice.
    public = list(Change.objects.public().order_by("position").values_list("position", flat=True))
    assert len(mirror.positions) == len(set(mirror.positions)), "duplicate events"
    assert mirror.positions == public, f"missed {sorted(set(public) - set(mirror.positions))}"

    # The mirror holds exactly what the API serves now.
    truth = {}
    for claim in desk["claims"]:
        body = _json(APIClient().get(f"/api/claims/{claim.pk}/"))
        if body is not None:
            truth[claim.pk] = body
    missed = set(truth) - set(mirror.claims)
    stale = [pk for pk in truth if pk in mirror.claims and mirror.claims[pk] != truth[pk]]
    extra = set(mirror.claims) - set(truth)
    assert (missed, stale, extra) == (set(), [], set())
    retracted = [pk for pk, body in truth.items() if body["status"] == "retracted"]
    assert retracted, "the race produced no retraction; raise WRITES_PER_WRITER"

    # No ETag handed out during the race answers 304 for content that changed since.
    client = APIClient()
    for url, etag, body in mirror.seen_etags:
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
        if response.status_code == 304:
            assert _json(client.get(url)) == body, f"stale 304 for {url}"
