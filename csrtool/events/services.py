"""Writing events: always inside the transaction of the change they describe."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from csrtool.bulkinsert import insert_many, insert_one
from csrtool.events.models import Event
from csrtool.partners.models import Partner

# Events held back by `written_together`, in the order they were recorded.
_held: ContextVar[list[Event] | None] = ContextVar("held_events", default=None)


def record_event(*, partner: Partner, type: str, actor_kind: str, data: dict) -> Event:
    """Write one event into the outbox. Call it inside the change's transaction."""
    event = Event(partner=partner, type=type, actor_kind=actor_kind, data=data)
    held = _held.get()
    if held is None:
        insert_one(event)
    else:
        held.append(event)
    return event


@contextmanager
def written_together():
    """Hold back the events recorded inside, then write them all with one
    INSERT, in order (a bulk import's thousands of accounts). Use it inside the
    changes' transaction: an error inside writes none of them."""
    held: list[Event] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    insert_many(Event, held)


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
