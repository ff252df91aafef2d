"""Writing events: always inside the transaction of the change they describe."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from csrtool.events.models import Event
from csrtool.partners.models import Partner


def record_event(*, partner: Partner, type: str, actor_kind: str, data: dict) -> Event:
    """Write one event into the outbox. Call it inside the change's transaction."""
    return Event.objects.create(
        partner=partner, type=type, actor_kind=actor_kind, data=data
    )


def purge_old_events(*, now=None) -> int:
    """Delete published events older than the feed keeps them (EVENTS_KEEP_DAYS)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.EVENTS_KEEP_DAYS)
    old = Event.objects.published().filter(created_at__lt=cutoff)
    deleted = 0
    while True:
        ids = list(old.values_list("pk", flat=True)[:1000])
        if not ids:
            return deleted
        with transaction.atomic():
            deleted += Event.objects.filter(pk__in=ids).delete()[0]
