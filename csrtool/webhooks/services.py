"""Every write to webhook endpoints: typed, keyword-only, one transaction, audited."""

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from csrtool import validation
from csrtool.audit.services import record
from csrtool.errors import DomainError, NotFound, ValidationFailed
from csrtool.events.changes import EVENT_TYPES
from csrtool.events.models import Event
from csrtool.partners.access import Actor
from csrtool.partners.models import Partner
from csrtool.timezones import rfc3339
from csrtool.webhooks import signing
from csrtool.webhooks.addresses import check_url
from csrtool.webhooks.models import WebhookDelivery, WebhookEndpoint

# How long the previous secret keeps signing after a rotation.
ROTATION_OVERLAP = timedelta(hours=24)
RESEND_MAX = 10_000


def _snapshot(endpoint: WebhookEndpoint) -> dict:
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "enabled": endpoint.is_enabled,
    }


def _clean(*, url=None, event_types=None, description=None) -> dict:
    errors: dict[str, list[str]] = {}
    values = {}
    if url is not None:
        try:
            values["url"] = check_url(url)
        except DomainError as e:
            errors["url"] = [e.message]
    if event_types is not None:
        types = sorted({str(t).strip() for t in event_types if str(t).strip()})
        unknown = [t for t in types if t not in EVENT_TYPES]
        if unknown:
            errors["event_types"] = [f"Unknown event type: {', '.join(unknown)}."]
        values["event_types"] = types
    if description is not None and not str(description).strip():
        values["description"] = ""
    elif description is not None:
        try:
            values["description"] = validation.clean_text(
                description,
                field="description",
                label="Description",
                max_length=200,
            )
        except DomainError as e:
            errors["description"] = [e.message]
    if errors:
        raise ValidationFailed(errors)
    return values


def find_endpoint(*, actor: Actor, endpoint_id: str, for_update=False):
    actor.require("partner.settings")
    endpoints = WebhookEndpoint.objects.for_actor(actor).select_related("partner")
    if for_update:
        endpoints = endpoints.select_for_update()
    try:
        return endpoints.get(public_id=str(endpoint_id).strip())
    except WebhookEndpoint.DoesNotExist:
        raise NotFound(
            f"No webhook endpoint has the ID {endpoint_id!r}.", field="endpoint_id"
        ) from None


def create_endpoint(
    *,
    actor: Actor,
    url: str,
    event_types: list[str] | None = None,
    description: str = "",
    partner: Partner | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Return the endpoint and its signing secret, shown only this once."""
    actor.require("partner.settings")
    partner = actor.require_partner(partner)
    values = _clean(url=url, event_types=event_types or [], description=description)
    secret = signing.new_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            partner=partner, secret=secret, **values
        )
        record(
            actor=actor,
            action="webhook_endpoint.created",
            target=endpoint,
            target_id=endpoint.public_id,
            after=_snapshot(endpoint),
        )
    return endpoint, secret


def update_endpoint(
    *,
    actor: Actor,
    endpoint_id: str,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    values = _clean(url=url, event_types=event_types, description=description)
    with transaction.atomic():
        endpoint = find_endpoint(actor=actor, endpoint_id=endpoint_id, for_update=True)
        before = _snapshot(endpoint)
        for field, value in values.items():
            setattr(endpoint, field, value)
        if enabled is not None and enabled != endpoint.is_enabled:
            endpoint.is_enabled = enabled
            endpoint.disabled_reason = "" if enabled else "Switched off by staff."
            endpoint.failing_since = None
        endpoint.save()
        after = _snapshot(endpoint)
        if after != before:
            record(
                actor=actor,
                action="webhook_endpoint.updated",
                target=endpoint,
                target_id=endpoint.public_id,
                before=before,
                after=after,
            )
    return endpoint


def delete_endpoint(*, actor: Actor, endpoint_id: str) -> None:
    with transaction.atomic():
        endpoint = find_endpoint(actor=actor, endpoint_id=endpoint_id, for_update=True)
        record(
            actor=actor,
            action="webhook_endpoint.deleted",
            target=endpoint,
            target_id=endpoint.public_id,
            before=_snapshot(endpoint),
        )
        endpoint.delete()


def rotate_secret(
    *, actor: Actor, endpoint_id: str, now: datetime | None = None
) -> tuple[WebhookEndpoint, str]:
    """A new secret, shown once; the old one signs too for ROTATION_OVERLAP."""
    now = now or timezone.now()
    secret = signing.new_secret()
    with transaction.atomic():
        endpoint = find_endpoint(actor=actor, endpoint_id=endpoint_id, for_update=True)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = now + ROTATION_OVERLAP
        endpoint.secret = secret
        endpoint.save(
            update_fields=["secret", "previous_secret", "previous_secret_until"]
        )
        record(
            actor=actor,
            action="webhook_endpoint.secret_rotated",
            target=endpoint,
            target_id=endpoint.public_id,
            after={"overlap_until": rfc3339(endpoint.previous_secret_until)},
        )
    return endpoint, secret


def send_again(
    *,
    actor: Actor,
    endpoint_id: str,
    event_id: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Queue the endpoint's events again: one event, or those of a time range."""
    since, until = _aware(since), _aware(until)
    with transaction.atomic():
        endpoint = find_endpoint(actor=actor, endpoint_id=endpoint_id)
        events = Event.objects.for_partner(endpoint.partner).published()
        if event_id:
            events = events.filter(public_id=str(event_id).strip())
            if not events.exists():
                raise NotFound(f"No event has the ID {event_id!r}.", field="event_id")
        elif since is None:
            raise DomainError(
                "Name an event, or the start of a time range.", field="since"
            )
        else:
            events = events.filter(created_at__gte=since)
            if until is not None:
                events = events.filter(created_at__lt=until)
        if endpoint.event_types:
            events = events.filter(type__in=endpoint.event_types)
        ids = list(
            events.order_by("position").values_list("pk", flat=True)[:RESEND_MAX]
        )
        now = timezone.now()
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(endpoint=endpoint, event_id=pk, next_attempt_at=now)
            for pk in ids
        )
        record(
            actor=actor,
            action="webhook_endpoint.sent_again",
            target=endpoint,
            target_id=endpoint.public_id,
            after={
                "event_id": event_id or None,
                "since": rfc3339(since) if since else None,
                "until": rfc3339(until) if until else None,
                "deliveries": len(ids),
            },
        )
    return len(ids)


def _aware(moment: datetime | None) -> datetime | None:
    """A time without an offset is taken as UTC."""
    if moment is not None and timezone.is_naive(moment):
        return moment.replace(tzinfo=UTC)
    return moment
