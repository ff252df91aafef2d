"""Who has a number: assign, hold, unassign, release a subscriber's numbers,
and tidy lapsed holds and finished aging periods.

Every claim is one conditional UPDATE that only a claimable row satisfies, so of
two claimants racing for one number exactly one gets it.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from csrtool.errors import Conflict, NotFound
from csrtool.numberpool.models import NumberStatus, PhoneNumber, claimable
from csrtool.numberpool.services.history import (
    close_assignment,
    open_assignment,
    record_change,
)
from csrtool.numberpool.services.lookup import find_number, owner_label, when_label
from csrtool.partners.access import Actor
from csrtool.prepared import PreparedUpdate
from csrtool.subscribers.models import Status, Subscriber
from csrtool.subscribers.services import find_subscriber


def ensure_assignable(*, subscriber: Subscriber, line: PhoneNumber) -> None:
    """Refuse a subscriber of another partner (as unknown) or a closed account."""
    if subscriber.partner_id != line.partner_id:
        raise NotFound(
            f"No subscriber has the Subscriber ID {subscriber.public_id!r}.",
            field="subscriber_id",
        )
    if subscriber.status == Status.CLOSED:
        raise Conflict(
            f"The account of {owner_label(subscriber)} is closed; a closed account "
            "cannot get a number.",
            field="subscriber_id",
            code="subscriber_closed",
        )


def _refusal(line: PhoneNumber, subscriber: Subscriber, now: datetime) -> Conflict:
    """Why `subscriber` cannot take `line` now, in words a CSR can act on."""
    label = line.dnis
    if line.status == NumberStatus.ASSIGNED:
        if line.subscriber_id == subscriber.pk:
            message = f"{label} is already assigned to this subscriber."
        else:
            message = f"{label} is already assigned to {owner_label(line.subscriber)}."
        return Conflict(message, field="number", code="already_assigned")
    if line.status == NumberStatus.HELD:
        return Conflict(
            f"{label} is held for {owner_label(line.subscriber)} until "
            f"{when_label(line.held_until)}.",
            field="number",
            code="number_held",
        )
    if line.status == NumberStatus.AGING:
        return Conflict(
            f"{label} was recently released and is aging until "
            f"{when_label(line.aging_until)}; until then only its previous subscriber "
            "can have it back.",
            field="number",
            code="number_aging",
        )
    if line.status == NumberStatus.RETIRED:
        return Conflict(
            f"{label} is retired and cannot be assigned.",
            field="number",
            code="number_retired",
        )
    return Conflict(
        f"{label} changed while you were working; look it up again.",
        field="number",
        code="conflict",
    )


def _claiming(shape, line_id, claimant_id, now, *values):
    """`_claim`'s conditional UPDATE: the row `line_id`, if `claimant_id` may
    take it `now`, takes the changes named in `shape` (those to `values`, then
    those to null)."""
    given, nulls = shape
    changes = dict.fromkeys(nulls) | dict(zip(given, values, strict=True))
    queryset = PhoneNumber.objects.filter(pk=line_id).filter(
        claimable(now, claimant_id)
    )
    return queryset, {"updated_at": now, "subscriber_id": claimant_id, **changes}


_CLAIM = PreparedUpdate(_claiming)


def _changing(shape, line_id, *values):
    """`_change`'s UPDATE: the row `line_id`, where the columns named first in
    `shape` hold the first `values`, takes the changes named next (those to the
    other values, then those to null)."""
    where, given, nulls = shape
    changes = dict.fromkeys(nulls) | dict(zip(given, values[len(where) :], strict=True))
    queryset = PhoneNumber.objects.filter(
        pk=line_id, **dict(zip(where, values, strict=False))
    )
    return queryset, changes


_CHANGE = PreparedUpdate(_changing)


def _change(line: PhoneNumber, where: dict, changes: dict) -> int:
    """Make `changes` to the row of `line` if it still holds what `where`
    says: one UPDATE, compiled once per shape."""
    given, nulls = _values_and_nulls(changes)
    return _CHANGE.run(
        (tuple(where), tuple(given), nulls),
        line.pk,
        *where.values(),
        *given.values(),
    )


_OWNERS = ("subscriber", "previous_subscriber")


def _values_and_nulls(changes: dict) -> tuple[dict, tuple]:
    """`changes` split for a prepared UPDATE: the values it takes on each call
    (each owner by its id), and the names set to null, which stay in its SQL."""
    changes = {
        f"{name}_id" if name in _OWNERS else name: (
            getattr(value, "pk", None) if name in _OWNERS else value
        )
        for name, value in changes.items()
    }
    given = {name: value for name, value in changes.items() if value is not None}
    return given, tuple(name for name, value in changes.items() if value is None)


def _claim(line, claimant, now, **changes) -> bool:
    """Take the row for `claimant` if it is still claimable: one winner per race.

    On success `line` holds what the row now holds, without reading it again.
    """
    given, nulls = _values_and_nulls(changes)
    updated = _CLAIM.run(
        (tuple(given), nulls), line.pk, claimant.pk, now, *given.values()
    )
    if updated != 1:
        return False
    _apply(line, {"updated_at": now, "subscriber": claimant, **changes})
    return True


def _apply(line: PhoneNumber, changes: dict) -> None:
    """Set on `line` the values an UPDATE just wrote to its row."""
    for name, value in changes.items():
        setattr(line, name, value)


def assign_line(
    *, actor: Actor, line: PhoneNumber, subscriber: Subscriber, now: datetime
) -> bool:
    """Give `line` to `subscriber` if it is still theirs to take, with its owner
    entry and audit event; False, changing nothing, when it is not.

    One conditional UPDATE settles a race: exactly one claimant wins. Runs in the
    caller's transaction.
    """
    before = line.audit_snapshot()
    if not _claim(
        line,
        subscriber,
        now,
        status=NumberStatus.ASSIGNED,
        held_until=None,
        aging_until=None,
        previous_subscriber=None,
    ):
        return False
    open_assignment(actor, line, subscriber, now)
    record_change(actor, line, "number.assigned", before, line.audit_snapshot())
    return True


def assign_number(
    *,
    actor: Actor,
    number: str,
    subscriber_id: str,
    now: datetime | None = None,
) -> PhoneNumber:
    """Give a number of the pool to a subscriber, by Subscriber ID or login
    email (the one it is held for, or its previous owner while it ages, or
    anyone once it is available)."""
    actor.require("numbers.assign")
    now = now or timezone.now()
    with transaction.atomic():
        line = find_number(actor=actor, value=number)
        subscriber = find_subscriber(actor=actor, value=subscriber_id)
        ensure_assignable(subscriber=subscriber, line=line)
        if not assign_line(actor=actor, line=line, subscriber=subscriber, now=now):
            line.refresh_from_db()
            raise _refusal(line, subscriber, now)
    return line


def hold_number(
    *,
    actor: Actor,
    number: str,
    subscriber_id: str,
    now: datetime | None = None,
) -> PhoneNumber:
    """Keep a number for a subscriber for the partner's hold time (a call's length)."""
    actor.require("numbers.assign")
    now = now or timezone.now()
    with transaction.atomic():
        line = find_number(actor=actor, value=number)
        subscriber = find_subscriber(actor=actor, value=subscriber_id)
        ensure_assignable(subscriber=subscriber, line=line)
        before = line.audit_snapshot()
        until = now + timedelta(minutes=line.partner.number_hold_minutes)
        if not _claim(
            line,
            subscriber,
            now,
            status=NumberStatus.HELD,
            held_until=until,
            aging_until=None,
        ):
            line.refresh_from_db()
            raise _refusal(line, subscriber, now)
        record_change(actor, line, "number.held", before, line.audit_snapshot())
    return line


def release_line(
    *, actor: Actor, line: PhoneNumber, now: datetime, reason: str = ""
) -> None:
    """Assigned → aging (or straight to available without an aging period);
    held → available. Runs in the caller's transaction, which holds the row."""
    before = line.audit_snapshot()
    owner = line.subscriber
    if line.status == NumberStatus.HELD:
        changes = {"status": NumberStatus.AVAILABLE, "held_until": None}
        action = "number.hold_released"
    else:
        action = "number.unassigned"
        days = line.partner.number_aging_days
        if days:
            changes = {
                "status": NumberStatus.AGING,
                "aging_until": now + timedelta(days=days),
                "previous_subscriber": owner,
            }
        else:
            changes = {"status": NumberStatus.AVAILABLE, "previous_subscriber": None}
    changes |= {"subscriber": None, "updated_at": now}
    where = {"status": line.status, "subscriber_id": owner.pk}
    if _change(line, where, changes) != 1:
        raise Conflict(
            f"{line.dnis} changed while you were working; look it up again.",
            field="number",
        )
    if line.status == NumberStatus.ASSIGNED:
        close_assignment(actor, line, now)
    _apply(line, changes)
    record_change(actor, line, action, before, line.audit_snapshot(), reason=reason)


def unassign_number(
    *,
    actor: Actor,
    number: str,
    subscriber_id: str = "",
    now: datetime | None = None,
) -> PhoneNumber:
    """Take a number from its subscriber: it ages for the partner's period, during
    which only that subscriber can have it back. A held number is simply released."""
    actor.require("numbers.assign")
    now = now or timezone.now()
    with transaction.atomic():
        line = find_number(actor=actor, value=number, for_update=True)
        subscriber = None
        if str(subscriber_id or "").strip():
            subscriber = find_subscriber(actor=actor, value=subscriber_id)
        status = line.effective_status(now)
        if status not in (NumberStatus.ASSIGNED, NumberStatus.HELD):
            raise Conflict(
                f"{line.dnis} is not assigned to anyone.",
                field="number",
                code="not_assigned",
            )
        if subscriber is not None and line.subscriber_id != subscriber.pk:
            relation = "assigned to" if status == NumberStatus.ASSIGNED else "held for"
            raise Conflict(
                f"{line.dnis} is {relation} {owner_label(line.subscriber)}, "
                f"not to {owner_label(subscriber)}.",
                field="subscriber_id",
                code="wrong_subscriber",
            )
        release_line(actor=actor, line=line, now=now)
    return line


def release_subscriber_numbers(
    *,
    actor: Actor,
    subscriber: Subscriber,
    now: datetime | None = None,
    reason: str = "The account was closed.",
) -> list[PhoneNumber]:
    """Age every number of a subscriber and drop its holds (closing an account).

    Runs inside the caller's transaction when there is one.
    """
    actor.require("subscribers.change")
    now = now or timezone.now()
    released = []
    with transaction.atomic():
        lines = (
            PhoneNumber.objects.filter(subscriber=subscriber)
            .select_related("partner", "subscriber")
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        for line in lines:
            release_line(actor=actor, line=line, now=now, reason=reason)
            released.append(line)
    return released


def expire_numbers(*, actor: Actor, now: datetime | None = None) -> int:
    """Mark lapsed holds and finished aging periods available (for tidiness only)."""
    actor.require("pool.manage")
    now = now or timezone.now()
    count = 0
    with transaction.atomic():
        lines = (
            PhoneNumber.objects.for_actor(actor)
            .filter(
                Q(status=NumberStatus.HELD, held_until__lte=now)
                | Q(status=NumberStatus.AGING, aging_until__lte=now)
            )
            .select_related("partner", "subscriber")
            .select_for_update(of=("self",))
        )
        for line in lines:
            before = line.audit_snapshot()
            action = (
                "number.hold_expired"
                if line.status == NumberStatus.HELD
                else "number.aging_ended"
            )
            updated = PhoneNumber.objects.filter(
                pk=line.pk, status=line.status, updated_at=line.updated_at
            ).update(
                status=NumberStatus.AVAILABLE,
                subscriber=None,
                held_until=None,
                aging_until=None,
                previous_subscriber=None,
                updated_at=now,
            )
            if updated:
                line.refresh_from_db()
                record_change(actor, line, action, before, line.audit_snapshot())
                count += 1
    return count
