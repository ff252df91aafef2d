"""A number's history: its audit events and its owners (NumberAssignment rows).

Both are written inside the transaction of the change they describe.
"""

from datetime import datetime

from csrtool.audit.services import record
from csrtool.bulkinsert import insert_one
from csrtool.numberpool.models import NumberAssignment, PhoneNumber
from csrtool.partners.access import Actor
from csrtool.prepared import PreparedUpdate
from csrtool.subscribers.models import Subscriber


def record_change(
    actor: Actor,
    line: PhoneNumber,
    action: str,
    before: dict | None,
    after: dict | None,
    reason: str = "",
) -> None:
    """The audit event of one change to a number (target: its DNIS). `line`
    holds the number as the change left it: the event outbox reads it there."""
    record(
        actor=actor,
        action=action,
        target=line,
        target_type="phonenumber",
        target_id=line.dnis,
        target_label=line.number,
        partner=line.partner,
        before=before,
        after=after,
        reason=reason,
    )


def open_assignment(
    actor: Actor, line: PhoneNumber, subscriber: Subscriber, now: datetime
) -> NumberAssignment:
    """Start the number's next owner entry."""
    entry = NumberAssignment(
        number=line,
        subscriber=subscriber,
        assigned_at=now,
        assigned_by=actor.user,
        assigned_by_label=actor.label[:300],
    )
    insert_one(entry)
    return entry


def _closing(shape, number_id, now, label, *user_id):
    """`close_assignment`'s UPDATE, compiled once per shape (by a user or not)."""
    queryset = NumberAssignment.objects.filter(
        number_id=number_id, released_at__isnull=True
    )
    (by_user,) = shape
    changes = {
        "released_at": now,
        "released_by_id": user_id[0] if by_user else None,
        "released_by_label": label,
    }
    return queryset, changes


_CLOSE = PreparedUpdate(_closing)


def close_assignment(actor: Actor, line: PhoneNumber, now: datetime) -> None:
    """End the number's open owner entry."""
    user = [actor.user.pk] if actor.user is not None else []
    _CLOSE.run((bool(user),), line.pk, now, actor.label[:300], *user)
