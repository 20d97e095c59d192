import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from claims import changelog
from claims.errors import NotPermitted
from claims.models import Change
from tests.factories import ClaimFactory
from tests.webhooks.helpers import event_positions, public_claim, record_change
from webhooks import services
from webhooks.models import Delivery, Endpoint


def test_every_event_arrives_signed_with_the_change_event_as_data(receiver, endpoint):
    changes = [record_change(public_claim()) for _ in range(3)]

    assert services.deliver_due() == 3

    assert len(receiver.received) == 3
    assert all(r.verified for r in receiver.received)
    for change in changes:
        body = receiver.events()[f"msg_{endpoint.pk}_{change.position}"]
        assert body["type"] == "claim.published"
        assert body["data"] == changelog.as_event(change)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_the_receiver_rejects_a_signature_made_with_another_secret(receiver, endpoint):
    receiver.secret = "whsec_" + "A" * 43 + "="
    record_change(public_claim())

    services.deliver_due()

    assert [r.verified for r in receiver.received] == [False]


def test_changes_the_public_never_saw_are_not_sent(receiver, endpoint):
    record_change(ClaimFactory(status="draft"), "claim")
    record_change(ClaimFactory(status="in_review"), "status", status_before={})
    left = changelog_record_leaving(public_claim())

    services.deliver_due()

    assert event_positions(receiver) == [left.position]


def changelog_record_leaving(claim):
    """A published claim withdrawn to draft: it leaves the public view, an event partners must get."""
    claim.status = "draft"
    claim.save(update_fields=["status"])
    return record_change(claim, "status", status_before={claim.pk: "published"})


def test_a_claim_leaving_the_public_view_is_sent_and_says_so(receiver, endpoint):
    change = changelog_record_leaving(public_claim())

    services.deliver_due()

    (body,) = receiver.events().values()
    assert body["data"]["position"] == change.position
    assert body["data"]["left_public_view"] is True


def test_an_endpoint_gets_only_the_kinds_it_chose(receiver, editor):
    chosen = services.endpoint_create(name="Retractions only", url=receiver.url, by=editor, events=["retracted"])
    receiver.secret = chosen.secret
    record_change(public_claim(), "published")
    retraction = record_change(ClaimFactory(status="retracted"), "retracted", status_before={})

    services.deliver_due()

    assert event_positions(receiver) == [retraction.position]


def test_a_new_endpoint_starts_at_the_present(receiver, editor):
    record_change(public_claim())
    made = services.endpoint_create(name="Late partner", url=receiver.url, by=editor)
    receiver.secret = made.secret
    later = record_change(public_claim())

    services.deliver_due()

    assert event_positions(receiver) == [later.position]


def test_dispatch_is_idempotent_and_covers_every_position(endpoint):
    first = [record_change(public_claim()) for _ in range(3)]
    assert services.dispatch() == 3
    assert services.dispatch() == 0
    second = [record_change(public_claim()) for _ in range(2)]
    assert services.dispatch() == 2

    positions = sorted(Delivery.objects.values_list("change_id", flat=True))
    assert positions == [c.position for c in first + second]
    endpoint.refresh_from_db()
    assert endpoint.cursor == second[-1].position


def test_dispatch_pages_through_a_long_backlog(endpoint, monkeypatch):
    monkeypatch.setattr(services, "DISPATCH_BATCH", 2)
    changes = [record_change(public_claim()) for _ in range(5)]

    assert services.dispatch() == 5
    assert Delivery.objects.count() == len(changes)


@pytest.mark.postgres
# serialized_rollback keeps the migration-seeded groups for the tests that run after this one.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_dispatcher_never_skips_a_change_that_commits_late(endpoint):
    """A write that drew its position first but commits last is not jumped over by the cursor."""
    slow_claim, fast_claim = public_claim(), public_claim()
    slow_recorded, release = threading.Event(), threading.Event()

    def slow_write():
        try:
            with transaction.atomic():
                changelog.record([slow_claim], "corrected")
                slow_recorded.set()
                release.wait(10)
        finally:
            connection.close()

    def fast_write():
        try:
            with transaction.atomic():
                changelog.record([fast_claim], "corrected")
        finally:
            connection.close()

    slow = threading.Thread(target=slow_write)
    slow.start()
    assert slow_recorded.wait(10)
    fast = threading.Thread(target=fast_write)
    fast.start()
    fast.join(0.5)  # the fast write queues behind the slow one's advisory lock

    assert services.dispatch() == 0  # neither is visible yet: the cursor stays put
    release.set()
    slow.join()
    fast.join()

    assert services.dispatch() == 2
    assert sorted(Delivery.objects.values_list("change__claim_id", flat=True)) == sorted([slow_claim.pk, fast_claim.pk])


def test_a_failing_receiver_gets_retries_on_the_schedule_then_the_delivery_fails(receiver, endpoint):
    receiver.status = 500
    record_change(public_claim())
    services.dispatch()
    clock = timezone.now() + timedelta(seconds=1)
    waits = []

    while (delivery := services.claim_next(now=clock)) is not None:
        services.send(delivery, now=clock)
        delivery.refresh_from_db()
        if delivery.status != "pending":
            break
        wait = delivery.next_attempt_at - clock
        waits.append(int(wait.total_seconds()))
        assert services.claim_next(now=clock + wait - timedelta(milliseconds=1)) is None  # not before its time
        clock += wait

    assert waits == [5, 30, 120, 600, 3600]
    assert delivery.status == "failed"
    assert delivery.attempts == 6
    assert delivery.last_status_code == 500
    assert delivery.next_attempt_at is None
    assert len(receiver.received) == 6
    assert len(set(receiver.ids())) == 1
    assert all(r.verified for r in receiver.received)


def test_a_timeout_is_a_failed_attempt(receiver, endpoint, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.stall = threading.Event()
    record_change(public_claim())

    services.deliver_due()

    delivery = Delivery.objects.get()
    assert delivery.status == "pending"
    assert delivery.attempts == 1
    assert delivery.last_status_code is None
    assert "timed out" in delivery.last_error


def test_a_delivery_whose_lease_ran_out_is_taken_over_and_the_late_sender_writes_nothing(endpoint, settings):
    record_change(public_claim())
    services.dispatch()
    start = timezone.now() + timedelta(seconds=1)

    first = services.claim_next(now=start)
    assert services.claim_next(now=start + timedelta(seconds=1)) is None  # leased
    later = start + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    second = services.claim_next(now=later)

    assert second.pk == first.pk
    assert second.attempts == 2
    services.record_outcome(first, services.Outcome(200, ""), now=later)
    assert Delivery.objects.get().status == "sending"  # the first sender lost its lease
    services.record_outcome(second, services.Outcome(204, ""), now=later)
    assert Delivery.objects.get().status == "delivered"


def test_redeliver_sends_again_with_the_same_webhook_id(receiver, endpoint, editor):
    record_change(public_claim())
    services.deliver_due()
    delivery = Delivery.objects.get()

    services.delivery_redeliver(delivery=delivery, by=editor)
    assert Delivery.objects.get().status == "pending"
    services.deliver_due()

    assert receiver.ids() == [delivery.webhook_id, delivery.webhook_id]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)


def test_a_test_event_reaches_the_endpoint(receiver, endpoint, editor):
    services.endpoint_send_test(endpoint=endpoint, by=editor)

    services.deliver_due()

    (received,) = receiver.received
    assert received.verified
    assert received.body["type"] == "webhook.test"


def test_an_inactive_endpoint_is_paused(receiver, endpoint, editor):
    services.endpoint_update(endpoint=endpoint, by=editor, name="Partner", url=receiver.url, events=[], active=False)
    record_change(public_claim())

    services.deliver_due()

    assert receiver.received == []
    assert Delivery.objects.count() == 0


def test_reviewers_cannot_register_endpoints(reviewer1, receiver):
    with pytest.raises(NotPermitted):
        services.endpoint_create(name="X", url=receiver.url, by=reviewer1)
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/", "http://localhost/", "http://10.0.0.5/", "http://[::1]/"])
def test_private_and_loopback_endpoints_are_refused_in_production(editor, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    with pytest.raises(ValidationError):
        services.endpoint_create(name="X", url=url, by=editor)


def test_only_http_and_https_endpoints(editor):
    with pytest.raises(ValidationError):
        services.endpoint_create(name="X", url="ftp://partner.example/", by=editor)


def test_a_host_that_resolves_to_loopback_is_refused_at_send_time(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    outcome = services.post("http://localhost.:1/", b"{}", {})
    assert not outcome.ok
    assert outcome.error.startswith("refused")


def test_the_signature_matches_the_standard_webhooks_test_vector():
    # The test vector of the Standard Webhooks specification (and its reference libraries).
    endpoint = Endpoint(secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    delivery = Delivery(endpoint=endpoint, webhook_id="msg_p5jXN8AQM9LWM0D4loKWxJek")
    sent_at = datetime.fromtimestamp(1614265330, tz=UTC)

    headers = services.signed_headers(delivery, b'{"test": 2432232314}', sent_at)

    assert headers["webhook-timestamp"] == "1614265330"
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_change_log_rows_are_the_outbox(endpoint):
    """A change rolled back with its write never becomes a delivery."""
    with pytest.raises(RuntimeError), transaction.atomic():
        changelog.record([public_claim()], "published")
        raise RuntimeError("the write failed")

    assert services.dispatch() == 0
    assert not Change.objects.exists()
