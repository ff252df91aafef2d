import csv
import json
import unicodedata
from datetime import UTC, datetime, time

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from csrtool import timezones
from csrtool.audit.models import AuditEvent
from csrtool.audit.services import record
from csrtool.pagination import keyset_page
from csrtool.partners.access import staff_required

FILTERS = ("action", "actor", "target", "since", "until")


def _parse_day(value: str, end=False):
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


def _filter_value(params, name: str) -> str:
    """A text filter as typed, without control characters: no event holds them,
    and PostgreSQL refuses a NUL in a query."""
    value = str(params.get(name) or "")
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cc").strip()


def filtered_events(actor, params):
    events = AuditEvent.objects.for_actor(actor).select_related("partner")
    action = _filter_value(params, "action")
    actor_label = _filter_value(params, "actor")
    target = _filter_value(params, "target").lower()
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
    since = _parse_day(params.get("since"))
    if since:
        events = events.filter(created_at__gte=since)
    until = _parse_day(params.get("until"), end=True)
    if until:
        events = events.filter(created_at__lte=until)
    return events


@staff_required("audit.view")
def audit_log(request):
    events = filtered_events(request.actor, request.GET)
    page = keyset_page(events, request.GET.get("after"), size=100)
    actions = (
        AuditEvent.objects.for_actor(request.actor)
        .order_by()
        .values_list("action", flat=True)
        .distinct()
    )
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "audit/log.html",
        {
            "page": page,
            "filters": {name: request.GET.get(name, "") for name in FILTERS},
            "actions": sorted(actions),
            "querystring": query.urlencode(),
        },
    )


class _Echo:
    def write(self, value):
        return value


@staff_required("audit.export")
def audit_export(request):
    actor = request.actor
    events = filtered_events(actor, request.GET).order_by("created_at", "id")
    record(
        actor=actor,
        action="audit.exported",
        target_type="audit",
        after={
            name: _filter_value(request.GET, name)[:300]
            for name in FILTERS
            if _filter_value(request.GET, name)
        },
    )
    columns = [
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
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(columns)
        for event in events.iterator(chunk_size=1000):
            row = [
                timezones.rfc3339(event.created_at),
                event.partner.slug if event.partner else "",
                *(getattr(event, c) for c in columns[2:11]),
                "" if event.before is None else _json(event.before),
                "" if event.after is None else _json(event.after),
                event.reason,
                event.request_id,
                event.source_ip or "",
            ]
            yield writer.writerow([_cell(value) for value in row])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


def _json(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _cell(value) -> str:
    """Defuse values a spreadsheet would run as a formula (CSV injection)."""
    value = "" if value is None else str(value)
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
