"""GET /api/v1/events: the partner's events in feed order, after a cursor."""

from datetime import datetime

from ninja import Field, Query, Router, Schema

from csrtool.errors import DomainError
from csrtool.events.changes import EVENT_TYPES
from csrtool.events.feed import decode_cursor, publish, read_feed
from csrtool.events.models import Event

router = Router(tags=["events"])


class EventOut(Schema):
    id: str
    type: str
    created_at: datetime
    partner: str
    actor_kind: str
    data: dict


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str
    has_more: bool


class EventFilters(Schema):
    after: str | None = Field(
        None, description="The `next_cursor` of the previous page; empty for the start."
    )
    type: list[str] = Field(
        [], description=f"Only these event types (repeat it). One of: {EVENT_TYPES}."
    )
    limit: int = Field(100, ge=1, le=500)


@router.get("", response=EventPage, summary="Events after a cursor, oldest first")
def list_events(request, filters: Query[EventFilters]):
    """Every event of the key's partner (every partner's for the operator) in
    feed order. Keep `next_cursor` and ask again with `after=` for what came
    since: no event is skipped or given twice. Events are kept for
    `CSRTOOL_EVENTS_KEEP_DAYS` (at least 30) days."""
    actor = request.auth
    actor.require("subscribers.view")
    after = decode_cursor(filters.after)
    if after is None:
        raise DomainError("This cursor is not one we gave out.", field="after")
    unknown = sorted(set(filters.type) - set(EVENT_TYPES))
    if unknown:
        raise DomainError(f"Unknown event type: {', '.join(unknown)}.", field="type")
    publish()
    page = read_feed(
        Event.objects.for_actor(actor),
        after=after,
        types=filters.type,
        limit=filters.limit,
    )
    return {
        "items": [event.as_json() for event in page.items],
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
    }
