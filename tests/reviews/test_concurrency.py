import threading
import time

import pytest
from django.db import connection

from claims.errors import TransitionNotAllowed
from claims.models import Claim
from reviews import services
from reviews.models import Transition, Verdict
from tests.factories import make_user, rating
from tests.reviews.conftest import passage

# serialized_rollback: the flush after a transactional test would otherwise drop the
# groups and the rating scale that migrations seed, for this test and the ones after it.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def race(calls) -> list:
    """Run the calls in threads released together; each result is "ok" or the refused rule."""
    barrier = threading.Barrier(len(calls))
    results = []

    def run(call):
        try:
            barrier.wait()
            call()
            results.append("ok")
        except TransitionNotAllowed as exc:
            results.append(exc.rule)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(results)


@pytest.fixture
def slow_transitions(monkeypatch):
    # Widen the window between reading the claim and writing the verdict, so that without
    # the row lock both publishers would see "reviewed" and both go on.
    original = services._write_verdict

    def slow(*args, **kwargs):
        time.sleep(0.3)
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "_write_verdict", slow)


def test_two_simultaneous_publishes_produce_exactly_one_verdict(drive, slow_transitions):
    claim = drive("reviewed")
    true = rating("true")
    editors = [make_user("chief-a", "Editors"), make_user("chief-b", "Editors")]
    copies = [Claim.objects.get(pk=claim.pk) for _ in editors]  # both loaded while still reviewed

    results = race(
        [
            lambda copy=copy, editor=editor: services.claim_publish(claim=copy, by=editor, rating=true, summary="True.")
            for copy, editor in zip(copies, editors, strict=True)
        ]
    )

    assert results == ["ok", "publish_requires_reviewed"]
    assert Verdict.objects.filter(claim=claim).count() == 1
    assert Transition.objects.filter(claim=claim, to_status="published").count() == 1


def test_two_reviewers_finishing_together_move_the_claim_once(drive, reviewer1, reviewer2):
    claim = drive("in_review")
    evidence = [passage(claim)]
    true = rating("true")
    results = race(
        [
            lambda reviewer=reviewer: services.review_record(
                claim=Claim.objects.get(pk=claim.pk), reviewer=reviewer, rating=true, rationale="r", evidence=evidence
            )
            for reviewer in (reviewer1, reviewer2)
        ]
    )
    assert results == ["ok", "ok"]
    assert Claim.objects.get(pk=claim.pk).status == "reviewed"
    assert Transition.objects.filter(claim=claim, to_status="reviewed").count() == 1
