"""A worker killed at each step of a webhook delivery: after a restart every
event reaches the receiver, none is lost, and a repeat (only where the receiver
answered before the worker could record it) carries the same webhook-id."""

import signal
from collections import Counter

import pytest
from django.utils import timezone

from csrtool.events.models import Event
from csrtool.onboarding.tests.test_worker import start_worker
from csrtool.partners.access import staff_actor
from csrtool.subscribers.services import update_subscriber
from csrtool.webhooks import services
from csrtool.webhooks.models import DeliveryStatus, WebhookDelivery

ALLOW = {"CSRTOOL_WEBHOOKS_ALLOW_PRIVATE": "true"}


def run_worker(smtpd, *, crash_at=""):
    worker = start_worker(smtpd, "--batch", env={**ALLOW, "CSRTOOL_CRASH_AT": crash_at})
    output, _ = worker.communicate(timeout=120)
    return worker.returncode, output.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("step", "left_as", "copies"),
    [
        ("webhook.claimed", DeliveryStatus.SENDING, 1),
        ("webhook.sent", DeliveryStatus.SENDING, 2),
        ("webhook.recorded", DeliveryStatus.DELIVERED, 1),
    ],
)
def test_a_worker_killed_mid_delivery_loses_no_event_and_repeats_none_under_a_new_id(
    cast, smtpd, receiver, step, left_as, copies
):
    _, secret = services.create_endpoint(
        actor=staff_actor(cast.alice), url=receiver.url
    )
    for n in range(3):
        update_subscriber(
            actor=staff_actor(cast.bob), public_id=cast.sam.public_id, billing_id=f"{n}"
        )

    returncode, output = run_worker(smtpd, crash_at=step)
    assert returncode == -signal.SIGKILL, output
    [in_flight] = WebhookDelivery.objects.filter(attempts=1)
    assert in_flight.status == left_as

    # Before its lease runs out, the next worker leaves the delivery alone...
    returncode, output = run_worker(smtpd)
    assert returncode == 0, output
    in_flight.refresh_from_db()
    assert in_flight.status == left_as
    # ...after it, the delivery is taken over.
    WebhookDelivery.objects.filter(status=DeliveryStatus.SENDING).update(
        next_attempt_at=timezone.now()
    )
    returncode, output = run_worker(smtpd)
    assert returncode == 0, output

    events = set(Event.objects.values_list("public_id", flat=True))
    assert len(events) == 3
    received = Counter(receiver.ids())
    assert set(received) == events
    assert received[in_flight.event.public_id] == copies
    assert sum(received.values()) == 2 + copies
    assert {p["id"] for p in receiver.payloads(secret)} == events
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {
        DeliveryStatus.DELIVERED
    }
