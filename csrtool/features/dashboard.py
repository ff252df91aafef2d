"""The partner dashboard's figures, and the geometry of its server-drawn charts."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from csrtool.features.readiness import annotate_readiness, readiness_of
from csrtool.numberpool.models import NumberStatus, NumberType, PhoneNumber
from csrtool.onboarding.models import EmailKind, EmailStatus, OutboundEmail
from csrtool.subscribers.models import Status, Subscriber

DEFAULT_STUCK_DAYS = 7
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


def funnel(actor) -> dict:
    """Subscribers (not closed) that reached each onboarding stage, in order."""
    counts = annotate_readiness(
        Subscriber.objects.for_actor(actor).exclude(status=Status.CLOSED)
    ).aggregate(
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


def pool_use(actor, now=None) -> dict:
    """The pool's lines by type and by what they are doing now."""
    now = now or timezone.now()
    effective = Case(
        When(status=NumberStatus.HELD, held_until__lte=now, then=Value("available")),
        When(status=NumberStatus.AGING, aging_until__lte=now, then=Value("available")),
        default=F("status"),
    )
    grouped = (
        PhoneNumber.objects.for_actor(actor)
        .exclude(status=NumberStatus.RETIRED)
        .annotate(state=effective)
        .values("number_type", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    table: dict[str, dict[str, int]] = {}
    for row in grouped:
        table.setdefault(row["number_type"], {})[row["state"]] = row["n"]
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
    welcome = OutboundEmail.objects.filter(
        subscriber=OuterRef("pk"), kind=EmailKind.WELCOME
    ).order_by("-created_at", "-id")
    live = (
        Subscriber.objects.for_actor(actor)
        .filter(status__in=[Status.PENDING_ACTIVATION, Status.ACTIVE])
        .annotate(welcome_status=Subquery(welcome.values("status")[:1]))
    )
    failed = live.filter(
        status=Status.PENDING_ACTIVATION, welcome_status=EmailStatus.FAILED
    )
    queryset = (
        annotate_readiness(
            live.filter(
                Q(created_at__lt=now - timedelta(days=days))
                | Q(status=Status.PENDING_ACTIVATION, welcome_status=EmailStatus.FAILED)
            )
        )
        .filter(
            Q(activated_at__isnull=True) | Q(has_number=False) | Q(has_features=False)
        )
        .select_related("partner")
        .order_by("created_at", "id")
    )
    subscribers = list(queryset[: STUCK_LIMIT + 1])
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
        "welcome_failed": failed.count(),
    }


def _welcome_label(status: str | None) -> str:
    if status == "failed":
        return "Welcome email failed"
    if status in ("queued", "sending"):
        return "Welcome email not sent yet"
    return "Welcome email unanswered"
