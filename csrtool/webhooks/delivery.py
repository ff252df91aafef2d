"""Delivering events to webhook endpoints: at least once, signed, with backoff.

Publishing an event queues one delivery per endpoint that wants it, in the
publishing transaction. The worker claims a due delivery with a conditional
UPDATE that moves its next attempt to the end of a lease, POSTs it, and records
the attempt. What a worker killed at each step (crash points) leaves behind:

- claimed, not yet sent: the lease runs out and the next worker sends it.
- sent and answered, not yet recorded: the same, so the receiver gets it a
  second time with the same `webhook-id` (the event's id): receivers keep the
  ids they have handled and skip repeats, as the Standard Webhooks spec says.
- recorded: done; nothing is sent again.

Every attempt is bounded in time (connect, then the whole exchange), so a slow
or hanging receiver holds a worker for at most WEBHOOK_TIMEOUT_SECONDS.
"""

import contextlib
import http.client
import json
import socket
import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from csrtool.crashpoints import crash_point
from csrtool.webhooks import addresses, signing
from csrtool.webhooks.models import (
    DeliveryAttempt,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)

EXCERPT = 500


def lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 60)


def backoff(attempts: int) -> timedelta:
    """30 s, 2 min, 8 min, 32 min, ~2 h, then every 6 h."""
    return timedelta(seconds=min(30 * 4 ** max(attempts - 1, 0), 6 * 3600))


def fan_out(events) -> int:
    """Queue a delivery of each event to each enabled endpoint that wants it."""
    partner_ids = {event.partner_id for event in events}
    endpoints: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.enabled().filter(
        partner_id__in=partner_ids
    ):
        endpoints.setdefault(endpoint.partner_id, []).append(endpoint)
    if not endpoints:
        return 0
    now = timezone.now()
    rows = [
        WebhookDelivery(endpoint=endpoint, event=event, next_attempt_at=now)
        for event in events
        for endpoint in endpoints.get(event.partner_id, ())
        if endpoint.wants(event.type)
    ]
    WebhookDelivery.objects.bulk_create(rows)
    return len(rows)


def deliver_due(*, budget_seconds: float = 5.0) -> int:
    """Attempt due deliveries for up to `budget_seconds`; return how many."""
    started = time.monotonic()
    done = 0
    while time.monotonic() - started < budget_seconds:
        delivery_id = claim_next()
        if delivery_id is None:
            break
        attempt(delivery_id)
        done += 1
    return done


def claim_next() -> int | None:
    now = timezone.now()
    with transaction.atomic():
        candidate = (
            WebhookDelivery.objects.due(now)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)
            .first()
        )
        if candidate is None:
            return None
        claimed = (
            WebhookDelivery.objects.due(now)
            .filter(pk=candidate)
            .update(
                status=DeliveryStatus.SENDING,
                next_attempt_at=now + lease(),
                attempts=F("attempts") + 1,
            )
        )
    return candidate if claimed else claim_next()


def attempt(delivery_id: int) -> str:
    delivery = WebhookDelivery.objects.select_related("endpoint", "event__partner").get(
        pk=delivery_id
    )
    crash_point("webhook.claimed")
    body = json.dumps(delivery.event.as_json(), separators=(",", ":")).encode()
    headers = signing.headers(
        delivery.endpoint.signing_secrets(),
        delivery.event.public_id,
        int(time.time()),
        body,
    )
    result = post(delivery.endpoint.url, body, headers)
    crash_point("webhook.sent")
    outcome = record(delivery, result)
    crash_point("webhook.recorded")
    return outcome


class Result:
    def __init__(self):
        self.status_code: int | None = None
        self.excerpt = ""
        self.error = ""
        self.duration_ms = 0

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, headers: dict) -> Result:
    result = Result()
    started = time.monotonic()
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    parts = urlsplit(url)
    connection = None
    timer = None
    try:
        addresses.check_url(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = addresses.resolve(parts.hostname, port)
        kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
        connection = kind(parts.hostname, port, timeout=timeout)
        connection.address = address
        connection.connect()
        # Cut the exchange at the deadline, however slowly the receiver dribbles.
        timer = threading.Timer(timeout, _cut, args=(connection,))
        timer.start()
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                **headers,
                "content-type": "application/json",
                "user-agent": "csrtool-webhooks/1",
            },
        )
        response = connection.getresponse()
        result.status_code = response.status
        result.excerpt = response.read(EXCERPT).decode("utf-8", "replace")
    except addresses.UnsafeAddress as error:
        result.error = error.message
    except TimeoutError:
        result.error = "The receiver did not answer in time."
    except (OSError, http.client.HTTPException) as error:
        if time.monotonic() - started >= timeout:
            result.error = "The receiver did not answer in time."
        else:
            result.error = f"{type(error).__name__}: {error}"[:300]
    finally:
        if timer is not None:
            timer.cancel()
        if connection is not None:
            connection.close()
        result.duration_ms = int((time.monotonic() - started) * 1000)
    return result


def _cut(connection):
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address that was checked, not to a new DNS answer."""

    address = ""

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    address = ""

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def record(delivery: WebhookDelivery, result: Result) -> str:
    """Log the attempt and settle what comes next, unless another worker took
    the delivery over meanwhile (its lease ran out)."""
    now = timezone.now()
    endpoint = delivery.endpoint
    with transaction.atomic():
        mine = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING, attempts=delivery.attempts
        )
        if result.ok:
            changes = {
                "status": DeliveryStatus.DELIVERED,
                "finished_at": now,
            }
            outcome = "delivered"
        elif now - delivery.created_at >= timedelta(hours=settings.WEBHOOK_RETRY_HOURS):
            changes = {"status": DeliveryStatus.FAILED, "finished_at": now}
            outcome = "failed"
        else:
            changes = {
                "status": DeliveryStatus.PENDING,
                "next_attempt_at": now + backoff(delivery.attempts),
            }
            outcome = "retrying"
        if not mine.update(
            **changes,
            last_status_code=result.status_code,
            last_error=result.error,
        ):
            return "taken_over"
        DeliveryAttempt.objects.create(
            delivery=delivery,
            started_at=now - timedelta(milliseconds=result.duration_ms),
            duration_ms=result.duration_ms,
            status_code=result.status_code,
            response_excerpt=result.excerpt[:EXCERPT],
            error=result.error[:300],
        )
        if result.ok:
            WebhookEndpoint.objects.filter(
                pk=endpoint.pk, failing_since__isnull=False
            ).update(failing_since=None)
        else:
            _note_failure(endpoint, now)
    return outcome


def _note_failure(endpoint: WebhookEndpoint, now) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    cutoff = now - timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS)
    switched_off = WebhookEndpoint.objects.filter(
        pk=endpoint.pk, is_enabled=True, failing_since__lte=cutoff
    ).update(
        is_enabled=False,
        disabled_reason=(
            f"Switched off after failing for {settings.WEBHOOK_DISABLE_AFTER_DAYS} "
            "days."
        ),
    )
    if switched_off:
        from csrtool.webhooks.tasks import tell_admins_endpoint_disabled

        tell_admins_endpoint_disabled.enqueue(endpoint.pk)
