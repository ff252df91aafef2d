"""Which audited changes are events, and what each event carries.

`record_change_events` listens to every successful audit write (see
`csrtool.audit.services.LISTENERS`), so each event commits with its change and
its audit row. The object is shown as the API shows it.
"""

from csrtool.events.services import record_event
from csrtool.features.readiness import (
    Readiness,
    other_number_and_features,
    readiness_of,
)
from csrtool.numberpool.api import NumberOut
from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.subscribers.api import SubscriberOut

SUBSCRIBER_UPDATES = {"subscriber.updated", "subscriber.email_changed"}
STATUS_CHANGES = {
    "subscriber.suspend",
    "subscriber.reactivate",
    "subscriber.close",
    "subscriber.activated",
}
FEATURE_CHANGES = {"subscriber.features_changed", "subscriber.plan_applied"}
NUMBER_CHANGES = {
    "number.added": "number.added",
    "number.removed": "number.removed",
    "number.retired": "number.retired",
    "number.unretired": "number.returned",
    "number.assigned": "number.assigned",
    "number.unassigned": "number.unassigned",
    "number.held": "number.held",
    "number.hold_released": "number.returned",
    "number.hold_expired": "number.returned",
    "number.aging_ended": "number.returned",
}

NUMBER_FIELDS = (
    "number",
    "dnis",
    "number_type",
    "country_code",
    "area_code",
    "held_until",
    "aging_until",
)

# Every type a partner can receive, for the API's documentation and endpoint checks.
EVENT_TYPES = sorted(
    {
        "subscriber.created",
        "subscriber.updated",
        "subscriber.status_changed",
        "subscriber.onboarding_completed",
        "subscriber.ready",
        "subscriber.features_changed",
        "number.aging",
        "welcome_email.delivered",
        "welcome_email.failed",
        "number_import.finished",
        "subscriber_import.finished",
        *NUMBER_CHANGES.values(),
    }
)


def subscriber_json(subscriber) -> dict:
    return SubscriberOut.model_validate(
        SubscriberOut.from_subscriber(subscriber)
    ).model_dump(mode="json")


def number_json(line: PhoneNumber) -> dict:
    return NumberOut.model_validate(NumberOut.from_line(line)).model_dump(mode="json")


def record_change_events(audit, target) -> None:
    action = audit.action
    if audit.partner_id is None:
        return
    emit = _emitter(audit)
    if action == "subscriber.created":
        emit("subscriber.created", {"object": subscriber_json(target)})
    elif action in SUBSCRIBER_UPDATES:
        emit("subscriber.updated", {"object": subscriber_json(target)})
    elif action in STATUS_CHANGES:
        emit(
            "subscriber.status_changed",
            {
                "object": subscriber_json(target),
                "previous": {"status": (audit.before or {}).get("status")},
            },
        )
        if action == "subscriber.activated":
            emit("subscriber.onboarding_completed", {"object": subscriber_json(target)})
            _ready_if_complete(emit, target)
    elif action in FEATURE_CHANGES:
        before, after = audit.before or {}, audit.after or {}
        emit(
            "subscriber.features_changed",
            {
                "object": {
                    "subscriber_id": target.public_id,
                    "plan": after.get("plan"),
                    "features": after.get("features", []),
                },
                "previous": {
                    "plan": before.get("plan"),
                    "features": before.get("features", []),
                },
            },
        )
        if not before.get("features"):
            _ready_if_complete(emit, target)
    elif action in NUMBER_CHANGES:
        _number_events(emit, audit, NUMBER_CHANGES[action], target)
    elif action == "number_import.completed":
        emit(
            "number_import.finished",
            {
                "object": {
                    "kind": "numbers",
                    "import_id": audit.target_id,
                    **_counts(audit),
                }
            },
        )
    elif action == "subscriber_import.completed":
        emit(
            "subscriber_import.finished",
            {
                "object": {
                    "kind": "subscribers",
                    "import_id": audit.target_id,
                    **_counts(audit),
                }
            },
        )


def _emitter(audit):
    def emit(type: str, data: dict) -> None:
        record_event(
            partner=audit.partner,
            type=type,
            actor_kind=audit.actor_kind,
            data=data,
        )

    return emit


def _counts(audit) -> dict:
    after = audit.after or {}
    return {key: value for key, value in after.items() if isinstance(value, int)}


def _number_events(emit, audit, type: str, target=None) -> None:
    if type == "number.removed":
        before = audit.before or {}
        emit(
            type,
            {
                "object": {
                    **{key: before.get(key) for key in NUMBER_FIELDS},
                    "status": "removed",
                    "subscriber_id": before.get("subscriber"),
                    "partner": audit.partner.slug,
                }
            },
        )
        return
    # The number's services pass the line as the change left it.
    line = (
        target
        if isinstance(target, PhoneNumber)
        else PhoneNumber.objects.select_related("partner", "subscriber")
        .filter(partner=audit.partner, dnis=audit.target_id)
        .first()
    )
    if line is None:
        return
    emit(type, {"object": number_json(line)})
    if type == "number.unassigned" and line.status == NumberStatus.AGING:
        emit("number.aging", {"object": number_json(line)})
    if type == "number.assigned" and line.subscriber is not None:
        _ready_if_first_number(emit, line)


def _ready_if_first_number(emit, line) -> None:
    """`subscriber.ready` when `line` is the subscriber's first assigned number
    and the number was the last missing step: one query, none before onboarding."""
    subscriber = line.subscriber
    if subscriber.activated_at is None:
        return
    others, features = other_number_and_features(subscriber.pk, line.pk)
    ready = Readiness(subscriber, onboarded=True, number=True, features=features)
    if not others and ready.complete:
        emit("subscriber.ready", {"object": subscriber_json(subscriber)})


def _ready_if_complete(emit, subscriber) -> None:
    """`subscriber.ready` when the change just made was the last missing step."""
    if readiness_of(subscriber).complete:
        emit("subscriber.ready", {"object": subscriber_json(subscriber)})
