"""The task queue wiring: writes wake the worker after commit; claims and failures schedule later runs."""

from django_tasks_db.models import DBTaskResult

from tests.factories import ClaimFactory
from tests.webhooks.helpers import public_claim, record_change
from webhooks import services
from webhooks.models import Delivery

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_a_public_write_is_delivered_by_the_task_after_its_commit(
    receiver, endpoint, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record_change(public_claim())
    assert receiver.received == []  # nothing is sent inside the write's transaction

    for callback in callbacks:
        callback()

    assert len(receiver.received) == 1
    assert Delivery.objects.get().status == "delivered"


def test_a_write_the_public_cannot_see_does_not_wake_the_worker(endpoint, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record_change(ClaimFactory(status="draft"), "claim")

    assert not DBTaskResult.objects.exists()


def test_a_public_write_enqueues_one_deliver_task(endpoint, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record_change(public_claim())

    (task,) = DBTaskResult.objects.all()
    assert task.task_path == "webhooks.queue.deliver"
    assert task.status == "READY"


def test_a_claim_schedules_a_run_for_when_its_lease_runs_out(endpoint):
    record_change(public_claim())
    services.dispatch()

    delivery = services.claim_next()

    (task,) = DBTaskResult.objects.all()
    assert task.run_after == delivery.locked_until


def test_a_failed_attempt_schedules_a_run_for_its_next_try(receiver, endpoint):
    receiver.status = 503
    record_change(public_claim())
    services.dispatch()
    claimed = services.claim_next()
    lease = claimed.locked_until

    services.send(claimed)

    delivery = Delivery.objects.get()
    assert delivery.status == "pending"
    run_afters = set(DBTaskResult.objects.values_list("run_after", flat=True))
    assert run_afters == {lease, delivery.next_attempt_at}
