"""Events reach a partner's endpoint signed, at least once, with retries."""

import itertools
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from csrtool.conftest import run_jobs
from csrtool.events.models import Event
from csrtool.partners.access import staff_actor
from csrtool.partners.models import Role
from csrtool.subscribers.services import update_subscriber
from csrtool.webhooks import services
from csrtool.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from csrtool.webhooks.tests.receiver import verify

CHANGES = itertools.count()


def touch(cast, n=1, who=None):
    """n changes of a subscriber of `who`'s partner: n events."""
    who = who or cast.bob
    subscriber = cast.sam if who.partner_id == cast.acme.pk else cast.gus
    for _ in range(n):
        update_subscriber(
            actor=staff_actor(who),
            public_id=subscriber.public_id,
            billing_id=f"B-{next(CHANGES)}",
        )


def register(cast, url, **fields):
    return services.create_endpoint(actor=staff_actor(cast.alice), url=url, **fields)


def due_now():
    WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).update(
        next_attempt_at=timezone.now()
    )


def test_an_event_arrives_signed_and_the_log_shows_it(cast, receiver, api_client_for):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    answer = api.post(
        "/api/v1/webhooks/endpoints",
        {"url": receiver.url, "description": "billing sync"},
        content_type="application/json",
    )
    assert answer.status_code == 201
    created = answer.json()
    assert created["secret"].startswith("whsec_")
    touch(cast)
    run_jobs()

    [(headers, body)] = receiver.requests
    payload = verify(created["secret"], headers, body)
    event = Event.objects.get()
    assert headers["webhook-id"] == payload["id"] == event.public_id
    assert payload["type"] == "subscriber.updated"
    assert payload["data"]["object"]["subscriber_id"] == cast.sam.public_id
    with pytest.raises(ValueError):
        verify(created["secret"], headers, body.replace(b'"B-', b'"X-'))

    log = api.get(f"/api/v1/webhooks/endpoints/{created['id']}/deliveries").json()
    [delivery] = log["items"]
    assert delivery["status"] == "delivered"
    assert delivery["event_id"] == event.public_id
    [logged] = delivery["attempt_log"]
    assert logged["status_code"] == 200
    assert logged["response_excerpt"] == "status 200"
    # The secret is shown once: never in a later answer.
    again = api.get(f"/api/v1/webhooks/endpoints/{created['id']}").json()
    assert "secret" not in again


def test_an_endpoint_gets_only_the_types_it_asked_for(cast, receiver):
    register(cast, receiver.url, event_types=["subscriber.status_changed"])
    touch(cast)
    run_jobs()
    assert receiver.requests == []


def test_a_500_is_retried_later_with_the_same_id(cast, receiver):
    _, secret = register(cast, receiver.url)
    receiver.answers = [500]
    touch(cast)
    run_jobs()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=20) < wait <= timedelta(seconds=30)
    run_jobs()
    assert len(receiver.requests) == 1  # not before its time

    due_now()
    run_jobs()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert [a.status_code for a in delivery.attempt_log.order_by("id")] == [500, 200]
    assert len(set(receiver.ids())) == 1
    assert len(receiver.payloads(secret)) == 2


def test_a_receiver_that_hangs_is_cut_off_at_the_timeout(cast, receiver):
    register(cast, receiver.url)
    receiver.delay = 5
    touch(cast)
    started = time.monotonic()
    run_jobs()
    assert time.monotonic() - started < 4.5
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    attempt = delivery.attempt_log.get()
    assert attempt.status_code is None
    assert attempt.error == "The receiver did not answer in time."
    assert 1900 <= attempt.duration_ms < 4000


def test_a_delivery_is_retried_for_the_whole_window_then_fails(cast, receiver):
    register(cast, receiver.url)
    receiver.answers = [503, 503]
    touch(cast)
    run_jobs()
    WebhookDelivery.objects.update(
        created_at=timezone.now() - timedelta(hours=23), next_attempt_at=timezone.now()
    )
    run_jobs()
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING
    WebhookDelivery.objects.update(
        created_at=timezone.now() - timedelta(hours=72), next_attempt_at=timezone.now()
    )
    receiver.answers = [503]
    run_jobs()
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


def test_an_endpoint_failing_for_days_is_switched_off_and_admins_told(
    cast, receiver, smtpd, settings
):
    endpoint, _ = register(cast, receiver.url)
    receiver.answers = [500, 500]
    touch(cast)
    run_jobs()
    endpoint.refresh_from_db()
    assert endpoint.is_enabled and endpoint.failing_since is not None
    WebhookEndpoint.objects.update(
        failing_since=timezone.now()
        - timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS)
    )
    due_now()
    run_jobs()
    endpoint.refresh_from_db()
    assert not endpoint.is_enabled
    assert "failing" in endpoint.disabled_reason
    [email] = smtpd.to("alice@acme.example")
    assert receiver.url in email["Subject"]
    assert smtpd.to("bob@acme.example") == []
    # Switched off: new events are not sent to it.
    touch(cast)
    due_now()
    run_jobs()
    assert len(receiver.requests) == 2


def test_a_success_clears_the_failing_mark(cast, receiver):
    endpoint, _ = register(cast, receiver.url)
    receiver.answers = [500]
    touch(cast)
    run_jobs()
    due_now()
    run_jobs()
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(cast, receiver):
    endpoint, old = register(cast, receiver.url)
    endpoint, new = services.rotate_secret(
        actor=staff_actor(cast.alice), endpoint_id=endpoint.public_id
    )
    touch(cast)
    run_jobs()
    headers, body = receiver.requests[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    verify(old, headers, body)
    verify(new, headers, body)

    WebhookEndpoint.objects.update(previous_secret_until=timezone.now())
    touch(cast)
    run_jobs()
    headers, body = receiver.requests[-1]
    verify(new, headers, body)
    with pytest.raises(ValueError):
        verify(old, headers, body)


def test_send_again_one_event_or_a_time_range(cast, receiver):
    endpoint, secret = register(cast, receiver.url)
    touch(cast, 3)
    run_jobs()
    first = Event.objects.order_by("position").first()
    alice = staff_actor(cast.alice)
    assert (
        services.send_again(
            actor=alice, endpoint_id=endpoint.public_id, event_id=first.public_id
        )
        == 1
    )
    run_jobs()
    assert receiver.ids()[-1] == first.public_id
    assert (
        services.send_again(
            actor=alice,
            endpoint_id=endpoint.public_id,
            since=timezone.now() - timedelta(minutes=5),
        )
        == 3
    )
    run_jobs()
    assert len(receiver.requests) == 7
    assert len(set(receiver.ids())) == 3


def test_a_burst_is_sent_in_bounded_rounds_so_emails_get_their_turn(
    cast, receiver, smtpd
):
    """Each worker round of webhooks stops at its time budget, and the worker
    runs the email jobs between rounds."""
    from csrtool.events.feed import publish
    from csrtool.onboarding.models import EmailStatus, OutboundEmail
    from csrtool.subscribers.services import create_subscriber
    from csrtool.webhooks.delivery import deliver_due

    register(cast, receiver.url)
    receiver.delay = 0.2
    touch(cast, 12)
    publish()
    started = time.monotonic()
    sent = deliver_due(budget_seconds=0.5)
    assert 1 <= sent <= 4
    assert time.monotonic() - started < 1.5
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == (
        12 - sent
    )

    create_subscriber(
        actor=staff_actor(cast.bob),
        first_name="Ann",
        last_name="Archer",
        email="ann@customer.example",
        phone="+12125550123",
        billing_id="ACME-200",
    )
    run_jobs()
    assert OutboundEmail.objects.get(recipient="ann@customer.example").status == (
        EmailStatus.SENT
    )
    assert len(smtpd.to("ann@customer.example")) == 1
    assert not WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()
