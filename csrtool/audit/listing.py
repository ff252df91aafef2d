"""The audit log as the page, its CSV export and the API read it: the filters,
and the export's rows."""

import csv
import json
import unicodedata
from datetime import UTC, datetime, time

from django.utils import timezone

from csrtool import timezones
from csrtool.audit.models import AuditEvent
from csrtool.audit.services import record
from csrtool.csvfiles import spreadsheet_safe

FILTERS = ("action", "actor", "target", "since", "until")


def parse_day(value: str, end=False):
    """The start (or end) of a day in the viewer's zone; None for no bound.

    The first and last days of the calendar lie partly outside it in UTC
    (0001-01-01 east of UTC, 9999-12-31 west of it): those bound nothing."""
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
        moment = timezone.make_aware(
            datetime.combine(day, time.max if end else time.min)
        )
        moment.astimezone(UTC)
    except (TypeError, ValueError, OverflowError):
        return None
    return moment


def filter_value(params, name: str) -> str:
    """A text filter as typed, without control characters: no event holds them,
    and PostgreSQL refuses a NUL in a query."""
    value = str(params.get(name) or "")
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cc").strip()


def filtered_events(actor, params):
    events = AuditEvent.objects.for_actor(actor).select_related("partner")
    action = filter_value(params, "action")
    actor_label = filter_value(params, "actor")
    target = filter_value(params, "target").lower()
    # Longer than the column can hold, a filter matches nothing; SQLite would also
    # refuse so long a LIKE pattern.
    limits = ((action, "action"), (actor_label, "actor_label"), (target, "target_id"))
    for value, field in limits:
        if len(value) > AuditEvent._meta.get_field(field).max_length:
            return events.none()
    if action:
        events = events.filter(action__startswith=action)
    if actor_label:
        events = events.filter(actor_label__icontains=actor_label)
    if target:
        events = events.filter(target_id=target)
    since = parse_day(params.get("since"))
    if since:
        events = events.filter(created_at__gte=since)
    until = parse_day(params.get("until"), end=True)
    if until:
        events = events.filter(created_at__lte=until)
    return events


CSV_COLUMNS = [
    "created_at",
    "partner",
    "actor_kind",
    "actor_label",
    "actor_role",
    "channel",
    "action",
    "outcome",
    "target_type",
    "target_id",
    "target_label",
    "before",
    "after",
    "reason",
    "request_id",
    "source_ip",
]


class _Echo:
    def write(self, value):
        return value


def export_rows(actor, params):
    """The filtered events as CSV lines, oldest first, for a streaming answer; the
    export itself is audited (who took which part of the log)."""
    events = filtered_events(actor, params).order_by("created_at", "id")
    record(
        actor=actor,
        action="audit.exported",
        target_type="audit",
        after={
            name: filter_value(params, name)[:300]
            for name in FILTERS
            if filter_value(params, name)
        },
    )
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_COLUMNS)
        for event in events.iterator(chunk_size=1000):
            row = [
                timezones.rfc3339(event.created_at),
                event.partner.slug if event.partner else "",
                *(getattr(event, c) for c in CSV_COLUMNS[2:11]),
                "" if event.before is None else _json(event.before),
                "" if event.after is None else _json(event.after),
                event.reason,
                event.request_id,
                event.source_ip or "",
            ]
            yield writer.writerow([spreadsheet_safe(value) for value in row])

    return rows()


def export_filename() -> str:
    return f"audit-{timezone.now():%Y%m%d-%H%M%S}.csv"


def _json(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
