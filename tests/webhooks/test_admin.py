import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from tests.webhooks.helpers import public_claim, record_change
from webhooks import services
from webhooks.models import Delivery, Endpoint


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def test_an_editor_registers_an_endpoint_and_reads_its_secret(editor_client, editor, receiver):
    response = editor_client.post(
        reverse("admin:webhooks_endpoint_add"),
        {"name": "Partner", "url": receiver.url, "events": ["published", "retracted"], "active": "on"},
    )
    assert response.status_code == 302
    endpoint = Endpoint.objects.get()
    assert (endpoint.events, endpoint.created_by) == (["published", "retracted"], editor)
    assert endpoint.secret.startswith("whsec_")

    page = editor_client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]))
    assert endpoint.secret in page.content.decode()


def test_reviewers_cannot_open_the_webhooks_admin(client, reviewer1):
    client.force_login(reviewer1)
    assert client.get(reverse("admin:webhooks_endpoint_changelist")).status_code == 403
    assert client.get(reverse("admin:webhooks_delivery_changelist")).status_code == 403


def test_a_failed_delivery_is_visible_in_the_delivery_log(editor_client, endpoint, receiver, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = []  # the first failure is final
    receiver.status = 500
    change = record_change(public_claim())
    services.deliver_due()

    page = editor_client.get(reverse("admin:webhooks_delivery_changelist"), {"status": "failed"})

    html = page.content.decode()
    assert f"msg_{endpoint.pk}_{change.position}" in html
    assert "HTTP 500" in html
    assert "Failed" in html


def test_the_redeliver_action_sends_again(editor_client, endpoint, receiver, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = []
    receiver.status = 500
    record_change(public_claim())
    services.deliver_due()
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"

    receiver.status = 200
    response = editor_client.post(
        reverse("admin:webhooks_delivery_changelist"), {"action": "redeliver", ACTION_CHECKBOX_NAME: [delivery.pk]}
    )
    assert response.status_code == 302
    services.deliver_due()

    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert receiver.ids() == [delivery.webhook_id, delivery.webhook_id]


def test_the_send_test_event_action(editor_client, endpoint, receiver):
    editor_client.post(
        reverse("admin:webhooks_endpoint_changelist"),
        {"action": "send_test_event", ACTION_CHECKBOX_NAME: [endpoint.pk]},
    )
    services.deliver_due()

    assert [r.body["type"] for r in receiver.received] == ["webhook.test"]


@pytest.mark.parametrize("rows", [2, 12])
def test_the_delivery_log_runs_a_fixed_number_of_queries(editor_client, endpoint, rows, django_assert_num_queries):
    for _ in range(rows):
        record_change(public_claim())
    services.dispatch()
    url = reverse("admin:webhooks_delivery_changelist")
    editor_client.get(url)  # warm the session and the content types

    # The same queries for 2 rows or 12: endpoint and change come in the page's join (and one for
    # the header's unread notifications).
    with django_assert_num_queries(9):
        assert editor_client.get(url).status_code == 200
