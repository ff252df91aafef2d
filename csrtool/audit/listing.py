"""The audit log as the page, its CSV export and the API read it: the filters,
and the export's rows."""

import csv
import json
import unicodedata
from datetime import UTC, datetime, time

from django.db import connection
from django.db.models import F
from django.utils import timezone

from csrtool import timezones
from csrtool.audit.models import AuditEvent
from csrtool.audit.services import record
from csrtool.csvfiles import spreadsheet_safe
from csrtool.pagination import NEWEST_FIRST, Page, after_cursor, keyset_page, page_of
from csrtool.scoping import Tested, each_value

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


def actions_in_trail(actor) -> list[str]:
    """The actions of the events the actor may read, in order: the choices of
    the action filter. One seek of the index of actions per action (a loose
    index scan), where a DISTINCT would read the whole trail."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    partner = None if actor.is_operator else actor.partner.pk
    statement, params = each_value(table, "action", partner)
    statement += "SELECT value FROM seen WHERE value IS NOT NULL"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return [action for (action,) in cursor.fetchall()]


def _filters(actor, params, choices=None):
    """The events the filters keep, and the actions they name (None for any);
    `choices` are the trail's actions when the caller has read them."""
    action = filter_value(params, "action")
    actor_label = filter_value(params, "actor")
    target = filter_value(params, "target").lower()
    # A target's few events are found through the index of targets, never by
    # walking one of the partner's.
    events = AuditEvent.objects.for_actor(actor, with_partner=True, tested=bool(target))
    # Longer than the column can hold, a filter matches nothing; SQLite would also
    # refuse so long a LIKE pattern.
    limits = ((action, "action"), (actor_label, "actor_label"), (target, "target_id"))
    for value, field in limits:
        if len(value) > AuditEvent._meta.get_field(field).max_length:
            return events.none(), []
    actions = None
    if action:
        # Actions starting with what was typed: `newest_events` reads each from
        # the index of actions.
        choices = actions_in_trail(actor) if choices is None else choices
        actions = [name for name in choices if name.startswith(action)]
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
    return events, actions


def filtered_events(actor, params):
    events, actions = _filters(actor, params)
    return events if actions is None else events.filter(action__in=actions)


def newest_events(actor, params, cursor: str | None, size: int, choices=None) -> Page:
    """A page of the filtered events, newest first, as the page and the API
    list them.

    A target's few events are found through the index of targets and put in
    order. Chosen actions are each read newest first from the index of the
    partner's actions, and the pages merged: walking the whole trail in date
    order would test every event for a rare action. Otherwise the trail is
    walked in date order. `choices` are the trail's actions, when the caller
    has read them (the page offers them)."""
    events, actions = _filters(actor, params, choices)
    if filter_value(params, "target"):
        if actions is not None:
            events = events.alias(tested=Tested(F("action"))).filter(tested__in=actions)
        order = (Tested(F("created_at")).desc(), Tested(F("id")).desc())
        return keyset_page(events, cursor, size=size, order=order)
    if actions is None or len(actions) < 2:
        if actions is not None:
            events = events.filter(action__in=actions)
        return keyset_page(events, cursor, size=size)
    events = after_cursor(events, cursor)
    parts, values = [], []
    for n, action in enumerate(actions):
        part = events.filter(action=action).order_by(*NEWEST_FIRST)
        sql, part_values = part.values_list("created_at", "pk")[
            : size + 1
        ].query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) AS part{n}")  # noqa: S608
        values.extend(part_values)
    statement = " UNION ALL ".join(parts) + " ORDER BY 1 DESC, 2 DESC LIMIT %s"
    with connection.cursor() as cursor:
        cursor.execute(statement, [*values, size + 1])
        ids = [pk for _, pk in cursor.fetchall()]
    found = {event.pk: event for event in events.filter(pk__in=ids)}
    return page_of([found[pk] for pk in ids], size)


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
