"""Keyset ("cursor") pagination over newest-first lists: stable under inserts, and
every page costs the same however deep it is."""

import base64
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q


@dataclass
class Page:
    items: list
    next_cursor: str | None


def encode_cursor(created_at: datetime, pk: int) -> str:
    raw = f"{created_at.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, _, pk = base64.urlsafe_b64decode(padded).decode().partition("|")
        created_at = datetime.fromisoformat(created)
        position = created_at, int(pk)
    except (ValueError, UnicodeDecodeError):
        return None
    # Cursors we hand out always carry their offset, and an id a database
    # column holds (64 bits); any other is forged.
    if created_at.tzinfo is None or not -(2**63) <= position[1] < 2**63:
        return None
    return position


NEWEST_FIRST = ("-created_at", "-pk")


def after_cursor(queryset, cursor: str | None):
    """The rows that come after the cursor's, newest first. The plain bound on
    created_at lets an index in date order start at the cursor rather than walk
    every newer row to it, so a deep page costs what the first does."""
    position = decode_cursor(cursor)
    if position is None:
        return queryset
    created_at, pk = position
    return queryset.filter(
        Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk),
        created_at__lte=created_at,
    )


def page_of(items: list, size: int) -> Page:
    """A page of `size` of the `size` + 1 items read, and the cursor to the next."""
    next_cursor = None
    if len(items) > size:
        items = items[:size]
        last = items[-1]
        next_cursor = encode_cursor(last.created_at, last.pk)
    return Page(items=items, next_cursor=next_cursor)


def keyset_page(
    queryset, cursor: str | None, *, size: int = 50, order=NEWEST_FIRST
) -> Page:
    """Items newest first (by created_at, then id), after the given cursor;
    `order` says so in other words where an index must not be walked for it."""
    items = list(after_cursor(queryset, cursor).order_by(*order)[: size + 1])
    return page_of(items, size)
