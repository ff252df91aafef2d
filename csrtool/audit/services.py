import functools
from collections.abc import Callable

from csrtool.audit.models import AuditEvent
from csrtool.bulkinsert import insert_many, insert_one

# Called with every successful change's audit event and its target, inside the
# change's transaction: the event outbox hangs off here (see csrtool.events), so
# this bottom app needs no import of the apps above it.
LISTENERS: list[Callable] = []

# Values under these keys are never written, whoever passes them in.
SECRET_WORDS = ("password", "pin", "answer", "token", "secret", "key_hash")


@functools.lru_cache(maxsize=1024)
def _secret(key: str) -> bool:
    # Asked of every key of every audit row's snapshots, which are few keys.
    return any(word in key.lower() for word in SECRET_WORDS)


def _scrub(values: dict | None) -> dict | None:
    if values is None:
        return None
    clean = {}
    for key, value in values.items():
        if _secret(key):
            value = "[redacted]"
        elif isinstance(value, set | frozenset | tuple):
            value = sorted(value)
        clean[key] = value
    return clean


def _event(
    *,
    actor,
    action: str,
    target=None,
    target_type: str = "",
    target_id: str = "",
    target_label: str = "",
    partner=None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    outcome: str = "success",
) -> AuditEvent:
    if target is not None:
        target_type = target_type or target._meta.model_name
        target_id = target_id or str(getattr(target, "public_id", None) or target.pk)
        target_label = target_label or str(target)
        if partner is None:
            partner = getattr(target, "partner", None)
    if partner is None:
        partner = actor.partner
    return AuditEvent(
        partner=partner,
        actor_user=actor.user,
        actor_kind=actor.kind,
        actor_label=actor.label[:300],
        actor_role=actor.role or "",
        channel=actor.channel,
        action=action,
        outcome=outcome,
        target_type=target_type,
        target_id=str(target_id)[:64],
        target_label=target_label[:300],
        before=_scrub(before),
        after=_scrub(after),
        reason=reason,
        request_id=actor.request_id[:64],
        source_ip=actor.source_ip or None,
    )


def record(*, actor, target=None, **details) -> AuditEvent:
    """Write one audit event. Call it inside the transaction of the change itself.

    `details` are the audit row's: action, target_type, target_id, target_label,
    partner, before, after, reason and outcome."""
    event = _event(actor=actor, target=target, **details)
    insert_one(event)
    if event.outcome == "success":
        for listener in LISTENERS:
            listener(event, target)
    return event


def record_many(*, actor, changes: list[dict]) -> list[AuditEvent]:
    """One audit event per change, written with one INSERT (a bulk import's
    accounts): each change is what `record` takes, as a dict. Listeners hear of
    every event, as with `record`."""
    events = [_event(actor=actor, **change) for change in changes]
    insert_many(AuditEvent, events)
    for event, change in zip(events, changes, strict=True):
        if event.outcome == "success":
            for listener in LISTENERS:
                listener(event, change.get("target"))
    return events
