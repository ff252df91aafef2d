"""The event feed: publishing positions in order, and reading after a cursor.

Writers only insert events (no position). `publish` stamps the next positions
on every committed, unpublished event, holding the Publisher row's lock until
it commits, so publishers run one after another and each one's positions are
all higher than, and become visible after, everything published before. A
reader that has seen position N has therefore seen every event that will ever
be published at or below N: the feed neither skips nor repeats, whatever the
order in which the writers committed.
"""

import base64
from dataclasses import dataclass

from django.db import transaction

from csrtool.events.models import Event, Publisher

BATCH = 1000

# Called with each batch of newly published events, in the publishing
# transaction (the webhooks app queues its deliveries here).
PUBLISH_LISTENERS: list = []


def publish(*, limit: int = 10_000) -> int:
    """Give committed events their feed positions; return how many got one."""
    published = 0
    while published < limit:
        if not Event.objects.unpublished().exists():
            return published
        with transaction.atomic():
            publisher = _lock_publisher()
            if publisher is None:
                return published  # another process is publishing right now
            events = list(
                Event.objects.unpublished()
                .select_related("partner")
                .order_by("id")[:BATCH]
            )
            if not events:
                return published
            position = publisher.last_position
            for event in events:
                position += 1
                event.position = position
            Event.objects.bulk_update(events, ["position"])
            Publisher.objects.filter(pk=publisher.pk).update(last_position=position)
            for listener in PUBLISH_LISTENERS:
                listener(events)
        published += len(events)
    return published


def _lock_publisher() -> Publisher | None:
    Publisher.objects.get_or_create(pk=1)
    return Publisher.objects.select_for_update(skip_locked=True).filter(pk=1).first()


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"p{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The position a cursor stands for; None for a cursor we never handed out."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not raw.startswith("p") or not raw[1:].isascii() or not raw[1:].isdigit():
        return None
    position = int(raw[1:])
    return position if position < 2**63 else None


@dataclass
class FeedPage:
    items: list[Event]
    next_cursor: str
    has_more: bool


def read_feed(queryset, *, after: int, types=(), limit: int = 100) -> FeedPage:
    """Published events after position `after`, oldest first.

    `next_cursor` is always given: the position of the last event returned (or
    the one asked from), to ask again later."""
    queryset = queryset.published().filter(position__gt=after)
    if types:
        queryset = queryset.filter(type__in=list(types))
    items = list(queryset.select_related("partner").order_by("position")[: limit + 1])
    has_more = len(items) > limit
    items = items[:limit]
    last = items[-1].position if items else after
    return FeedPage(items=items, next_cursor=encode_cursor(last), has_more=has_more)
