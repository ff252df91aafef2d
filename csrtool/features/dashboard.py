"""The partner dashboard's figures, and the geometry of its server-drawn charts."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from csrtool.features.models import DashboardCounts
from csrtool.features.readiness import annotate_readiness, readiness_of
from csrtool.features.tasks import count_dashboard
from csrtool.numberpool.models import NumberStatus, NumberType, PhoneNumber
from csrtool.onboarding.models import EmailKind, EmailStatus, OutboundEmail
from csrtool.subscribers.models import Status, Subscriber

DEFAULT_STUCK_DAYS = 7
# A partner with fewer subscribers than this, and fewer numbers, has its
# dashboard counted on each view (counting took about 5 µs a subscriber and
# number on SQLite at 1M: 25 ms at most here); a larger one by a job, every
# RECOUNT_AFTER at most.
COUNT_ON_VIEW = 5_000
RECOUNT_AFTER = timedelta(minutes=5)
STUCK_LIMIT = 50
POOL_STATES = [
    NumberStatus.AVAILABLE,
    NumberStatus.HELD,
    NumberStatus.ASSIGNED,
    NumberStatus.AGING,
]
# Distinct in lightness as well as hue; every segment is also named in the legend
# and the table, so colour is never the only cue.
POOL_COLOURS = {
    NumberStatus.AVAILABLE: "#2e7d32",
    NumberStatus.HELD: "#c77700",
    NumberStatus.ASSIGNED: "#0b5394",
    NumberStatus.AGING: "#8e8e8e",
}
CHART_WIDTH = 480
LABEL_WIDTH = 190
BAR_HEIGHT = 26
GAP = 10


def parse_days(value) -> int:
    try:
        days = int(str(value).strip())
    except (TypeError, ValueError):
        return DEFAULT_STUCK_DAYS
    return min(max(days, 0), 365)


@dataclass
class Bar:
    label: str
    count: int
    y: int
    width: int
    x: int = LABEL_WIDTH
    colour: str = "#0b5394"

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT // 2 + 5

    @property
    def value_x(self) -> int:
        return self.x + self.width + 6


def _scope(actor) -> str:
    """Whose counts the actor sees: its partner's (by id), or every partner's."""
    return "all" if actor.is_operator else str(actor.partner.pk)


def _of_scope(queryset, scope: str):
    return queryset if scope == "all" else queryset.filter(partner_id=int(scope))


def _funnel_counts(scope: str) -> dict:
    """Subscribers (not closed) that reached each onboarding stage, and those
    that did each step in any order."""
    subscribers = _of_scope(Subscriber.objects.all(), scope)
    return annotate_readiness(subscribers.exclude(status=Status.CLOSED)).aggregate(
        created=Count("pk"),
        onboarded=Count("pk", filter=Q(activated_at__isnull=False)),
        number=Count("pk", filter=Q(activated_at__isnull=False, has_number=True)),
        ready=Count(
            "pk",
            filter=Q(activated_at__isnull=False, has_number=True, has_features=True),
        ),
        any_number=Count("pk", filter=Q(has_number=True)),
        any_features=Count("pk", filter=Q(has_features=True)),
    )


def _pool_counts(scope: str, now) -> list[list]:
    """The pool's lines (but retired ones) as [number type, state now, count]:
    a lapsed hold or a finished aging period counts as available."""
    effective = Case(
        When(status=NumberStatus.HELD, held_until__lte=now, then=Value("available")),
        When(status=NumberStatus.AGING, aging_until__lte=now, then=Value("available")),
        default=F("status"),
    )
    grouped = (
        _of_scope(PhoneNumber.objects.all(), scope)
        .exclude(status=NumberStatus.RETIRED)
        .annotate(state=effective)
        .values("number_type", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [[row["number_type"], row["state"], row["n"]] for row in grouped]


def _counted(scope: str, now) -> dict:
    return {"funnel": _funnel_counts(scope), "pool": _pool_counts(scope, now)}


def _small(scope: str) -> bool:
    """Whether the scope holds fewer than COUNT_ON_VIEW subscribers and as few
    numbers: each read stops there."""
    return not any(
        _of_scope(model.objects.all(), scope)
        .order_by()[COUNT_ON_VIEW - 1 : COUNT_ON_VIEW]
        .exists()
        for model in (Subscriber, PhoneNumber)
    )


def counts(actor, now=None) -> dict:
    """The counts the actor's dashboard shows (see `_counted`), with
    `counted_at`: None where they were counted for this view, else when the job
    counted them (None for both where it has not yet: `counts` is then empty).

    A scope of fewer than COUNT_ON_VIEW subscribers and numbers is counted on
    each view. A larger one is counted by a job (`count_dashboard`), asked for
    when the counts are RECOUNT_AFTER old or more, at most once that often:
    at a million subscribers counting took 3-4 seconds."""
    now = now or timezone.now()
    scope = _scope(actor)
    if _small(scope):
        return {"counts": _counted(scope, now), "counted_at": None, "counting": False}
    stored, _ = DashboardCounts.objects.get_or_create(scope=scope)
    due = now - RECOUNT_AFTER
    counting = stored.counted_at is None or stored.counted_at <= due
    if counting and (stored.asked_at is None or stored.asked_at <= due):
        unasked = Q(asked_at__isnull=True) | Q(asked_at__lte=due)
        asked = DashboardCounts.objects.filter(Q(pk=scope) & unasked)
        if asked.update(asked_at=now):
            count_dashboard.enqueue(scope)
    return {
        "counts": stored.counts,
        "counted_at": stored.counted_at,
        "counting": counting,
    }


def store_counts(scope: str, now=None) -> DashboardCounts:
    """Count a scope's subscribers and numbers and keep the counts (the job)."""
    now = now or timezone.now()
    stored, _ = DashboardCounts.objects.update_or_create(
        scope=scope, defaults={"counts": _counted(scope, now), "counted_at": now}
    )
    return stored


def funnel(counts: dict) -> dict:
    """The funnel chart of `_funnel_counts`: the stages in order."""
    stages = [
        ("Account created", counts["created"], counts["created"]),
        ("Onboarded by the subscriber", counts["onboarded"], counts["onboarded"]),
        ("…and number assigned", counts["number"], counts["any_number"]),
        ("…and features enabled: ready", counts["ready"], counts["any_features"]),
    ]
    top = max(counts["created"], 1)
    span = CHART_WIDTH - LABEL_WIDTH - 50
    bars = [
        Bar(
            label=label,
            count=count,
            y=i * (BAR_HEIGHT + GAP),
            width=round(span * count / top),
        )
        for i, (label, count, _) in enumerate(stages)
    ]
    return {
        "bars": bars,
        "rows": [
            {"label": label, "count": count, "step_alone": alone}
            for label, count, alone in stages
        ],
        "height": len(bars) * (BAR_HEIGHT + GAP),
        "width": CHART_WIDTH,
        "total": counts["created"],
        "summary": ", ".join(f"{label}: {count}" for label, count, _ in stages),
    }


def pool_use(counts: list[list]) -> dict:
    """The pool chart of `_pool_counts`: lines by type and by what they are
    doing now."""
    table: dict[str, dict[str, int]] = {}
    for number_type, state, count in counts:
        table.setdefault(number_type, {})[state] = count
    types = [t for t in NumberType.values if t in table]
    top = max((sum(table[t].values()) for t in types), default=1)
    span = CHART_WIDTH - LABEL_WIDTH - 50
    rows, segments = [], []
    for i, number_type in enumerate(types):
        counts = [table[number_type].get(state, 0) for state in POOL_STATES]
        rows.append(
            {
                "label": NumberType(number_type).label,
                "counts": counts,
                "total": sum(counts),
            }
        )
        x = LABEL_WIDTH
        for state, count in zip(POOL_STATES, counts, strict=True):
            width = round(span * count / top)
            if width:
                segments.append(
                    {
                        "x": x,
                        "y": i * (BAR_HEIGHT + GAP),
                        "width": width,
                        "colour": POOL_COLOURS[state],
                        "title": f"{NumberType(number_type).label}: {count} "
                        f"{NumberStatus(state).label.lower()}",
                    }
                )
            x += width
        rows[-1]["label_y"] = i * (BAR_HEIGHT + GAP) + BAR_HEIGHT // 2 + 5
        rows[-1]["total_x"] = x + 6
    return {
        "rows": rows,
        "segments": segments,
        "states": [
            {"key": s, "label": NumberStatus(s).label, "colour": POOL_COLOURS[s]}
            for s in POOL_STATES
        ],
        "height": max(len(rows), 1) * (BAR_HEIGHT + GAP),
        "width": CHART_WIDTH,
        "summary": "; ".join(
            f"{r['label']}: "
            + ", ".join(
                f"{c} {NumberStatus(s).label.lower()}"
                for s, c in zip(POOL_STATES, r["counts"], strict=True)
            )
            for r in rows
        )
        or "The pool has no numbers.",
    }


def stuck(actor, *, days: int, now=None) -> dict:
    """Subscribers older than `days` that are not ready, and those whose welcome
    email the mail server refused for good (at once: waiting will not help),
    oldest first."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    live = Subscriber.objects.for_actor(actor).filter(
        status__in=[Status.PENDING_ACTIVATION, Status.ACTIVE]
    )
    failed = _failed_welcomes(actor)
    not_ready = (
        Q(activated_at__isnull=True) | Q(has_number=False) | Q(has_features=False)
    )
    old = _with_readiness(live.filter(created_at__lt=cutoff)).filter(not_ready)
    subscribers = list(old[: STUCK_LIMIT + 1])
    if len(subscribers) <= STUCK_LIMIT:
        # Newer ones whose welcome email failed, found from those emails.
        recent = live.filter(
            created_at__gte=cutoff,
            status=Status.PENDING_ACTIVATION,
            pk__in=failed.values("subscriber"),
        )
        subscribers += _with_readiness(recent)[: STUCK_LIMIT + 1 - len(subscribers)]
    items = []
    for subscriber in subscribers[:STUCK_LIMIT]:
        missing = []
        for step in readiness_of(subscriber).missing:
            label = {
                "onboarded": _welcome_label(subscriber.welcome_status),
                "number": "No number",
                "features": "No features",
            }[step.key]
            missing.append({"label": label, "url": step.url, "step": step.label})
        items.append(
            {
                "subscriber": subscriber,
                "age_days": (now - subscriber.created_at).days,
                "missing": missing,
            }
        )
    return {
        "days": days,
        "items": items,
        "more": len(subscribers) > STUCK_LIMIT,
        "welcome_failed": failed.values("subscriber").distinct().count(),
    }


def _with_readiness(subscribers):
    """The subscribers by date and id, each with its partner, its readiness
    and the state of its latest welcome email."""
    welcome = OutboundEmail.objects.filter(
        subscriber=OuterRef("pk"), kind=EmailKind.WELCOME
    ).order_by("-created_at", "-id")
    subscribers = subscribers.annotate(
        welcome_status=Subquery(welcome.values("status")[:1])
    )
    subscribers = annotate_readiness(subscribers.select_related("partner"))
    return subscribers.order_by("created_at", "id")


def _failed_welcomes(actor):
    """The latest welcome email of each subscriber awaiting activation, where
    the mail server refused it for good: read from the failed emails, which
    are few, not from the subscribers awaiting activation (a fifth of a
    million)."""
    newer = OutboundEmail.objects.filter(
        subscriber=OuterRef("subscriber"), kind=EmailKind.WELCOME
    ).filter(
        Q(created_at__gt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )
    failed = OutboundEmail.objects.filter(
        status=EmailStatus.FAILED,
        kind=EmailKind.WELCOME,
        subscriber__status=Status.PENDING_ACTIVATION,
    )
    if not actor.is_operator:
        failed = failed.filter(subscriber__partner=actor.partner)
    return failed.exclude(Exists(newer))


def _welcome_label(status: str | None) -> str:
    if status == "failed":
        return "Welcome email failed"
    if status in ("queued", "sending"):
        return "Welcome email not sent yet"
    return "Welcome email unanswered"
