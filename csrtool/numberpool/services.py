"""Every write to the number pool: typed, keyword-only, one transaction, audited.

States: available → held → assigned → aging → available, plus retired. A lapsed
hold and a finished aging period count as available when read, and the next claim
takes the row with a conditional UPDATE, so no background job is needed for
correctness (`expire_numbers` only tidies up).
"""

from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from csrtool.audit.services import record
from csrtool.errors import Conflict, DomainError, NotFound, ValidationFailed
from csrtool.numberpool.lines import clean_line, number_keys, region_for
from csrtool.numberpool.models import (
    NumberAssignment,
    NumberStatus,
    PhoneNumber,
    claimable,
)
from csrtool.partners.access import Actor
from csrtool.partners.models import Partner
from csrtool.subscribers.models import Status, Subscriber
from csrtool.subscribers.services import get_subscriber

DNIS_TAKEN = "This DNIS is already in the pool of this installation."
NUMBER_TAKEN = "This phone number is already in the pool of this installation."


def _when(value: datetime) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _owner(subscriber: Subscriber) -> str:
    return f"{subscriber.full_name} (Subscriber ID {subscriber.public_id})"


def _audit(actor: Actor, line: PhoneNumber, action: str, before, after, reason=""):
    record(
        actor=actor,
        action=action,
        target_type="phonenumber",
        target_id=line.dnis,
        target_label=line.number,
        partner=line.partner,
        before=before,
        after=after,
        reason=reason,
    )


def find_number(*, actor: Actor, value: str, for_update=False) -> PhoneNumber:
    """A number of the actor's pool by DNIS or by the number in any common format.

    A number of another partner's pool answers exactly like an unknown one.
    """
    if not (actor.can("pool.view") or actor.can("numbers.assign")):
        actor.require("pool.view")
    raw = str(value or "").strip()[:40]
    if not raw:
        raise DomainError("Enter a phone number or DNIS.", field="number")
    region = region_for(actor.partner)
    digits, e164 = number_keys(raw, region)
    condition = Q(dnis=digits) if digits else Q()
    if e164:
        condition = condition | Q(number=e164) if digits else Q(number=e164)
    if not digits and not e164:
        raise DomainError(
            f"{raw!r} is not a phone number or DNIS.", field="number", code="invalid"
        )
    queryset = PhoneNumber.objects.for_actor(actor).select_related(
        "partner", "subscriber", "previous_subscriber"
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    # A DNIS match wins over a number match should the two ever name two rows.
    found = sorted(queryset.filter(condition), key=lambda n: n.dnis != digits)
    if not found:
        raise NotFound(f"No number {raw} is in the pool.", field="number")
    return found[0]


def _assignable(subscriber: Subscriber, line: PhoneNumber) -> None:
    if subscriber.partner_id != line.partner_id:
        raise NotFound(
            f"No subscriber has the Subscriber ID {subscriber.public_id!r}.",
            field="subscriber_id",
        )
    if subscriber.status == Status.CLOSED:
        raise Conflict(
            f"The account of {_owner(subscriber)} is closed; a closed account "
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
            message = f"{label} is already assigned to {_owner(line.subscriber)}."
        return Conflict(message, field="number", code="already_assigned")
    if line.status == NumberStatus.HELD:
        return Conflict(
            f"{label} is held for {_owner(line.subscriber)} until "
            f"{_when(line.held_until)}.",
            field="number",
            code="number_held",
        )
    if line.status == NumberStatus.AGING:
        return Conflict(
            f"{label} was recently released and is aging until "
            f"{_when(line.aging_until)}; until then only its previous subscriber "
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


def add_number(
    *,
    actor: Actor,
    number: str,
    dnis: str,
    number_type: str,
    country_code: str,
    area_code: str = "",
    subscriber_id: str = "",
    partner: Partner | None = None,
    now: datetime | None = None,
) -> PhoneNumber:
    """Add a number to the pool, available, or already assigned to a subscriber."""
    actor.require("pool.manage")
    partner = actor.require_partner(partner)
    now = now or timezone.now()
    cleaned = clean_line(
        number=number,
        dnis=dnis,
        number_type=number_type,
        country_code=country_code,
        area_code=area_code,
        region=region_for(partner),
    )
    subscriber_id = str(subscriber_id or "").strip()
    if subscriber_id:
        actor.require("numbers.assign")
    errors: dict[str, list[str]] = {}
    if PhoneNumber.objects.filter(dnis=cleaned["dnis"]).exists():
        errors["dnis"] = [DNIS_TAKEN]
    if PhoneNumber.objects.filter(number=cleaned["number"]).exists():
        errors["number"] = [NUMBER_TAKEN]
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            subscriber = None
            if subscriber_id:
                subscriber = get_subscriber(
                    actor=actor.for_partner(partner), public_id=subscriber_id
                )
            line = PhoneNumber(partner=partner, created_at=now, updated_at=now)
            for field, value in cleaned.items():
                setattr(line, field, value)
            if subscriber is not None:
                _assignable(subscriber, line)
                line.status = NumberStatus.ASSIGNED
                line.subscriber = subscriber
            line.save()
            _audit(actor, line, "number.added", None, line.audit_snapshot())
            if subscriber is not None:
                _open_assignment(actor, line, subscriber, now)
                _audit(actor, line, "number.assigned", None, line.audit_snapshot())
    except IntegrityError as e:
        # Two adds of one number raced past the checks above; the unique
        # constraints settled it.
        text = str(e).lower()
        if "dnis" in text:
            raise ValidationFailed({"dnis": [DNIS_TAKEN]}) from None
        if "number" in text:
            raise ValidationFailed({"number": [NUMBER_TAKEN]}) from None
        raise
    return line


def remove_number(
    *, actor: Actor, dnis: str, now: datetime | None = None
) -> PhoneNumber:
    """Take a number out of the pool; an assigned or held one must be freed first."""
    actor.require("pool.manage")
    now = now or timezone.now()
    with transaction.atomic():
        line = find_number(actor=actor, value=dnis)
        if line.status == NumberStatus.ASSIGNED:
            raise Conflict(
                f"{line.dnis} is assigned to {_owner(line.subscriber)}. "
                "Unassign it first, then remove it.",
                field="dnis",
                code="number_assigned",
            )
        if line.effective_status(now) == NumberStatus.HELD:
            raise Conflict(
                f"{line.dnis} is held for {_owner(line.subscriber)} until "
                f"{_when(line.held_until)}. Release the hold first, then remove it.",
                field="dnis",
                code="number_held",
            )
        before = line.audit_snapshot()
        removed, _ = (
            PhoneNumber.objects.filter(pk=line.pk)
            .exclude(status=NumberStatus.ASSIGNED)
            .exclude(status=NumberStatus.HELD, held_until__gt=now)
            .delete()
        )
        if not removed:
            raise Conflict(
                f"{line.dnis} was just assigned or held; look it up again.",
                field="dnis",
            )
        _audit(actor, line, "number.removed", before, None)
    return line


def retire_number(
    *, actor: Actor, number: str, reason: str = "", now: datetime | None = None
) -> PhoneNumber:
    """Take a number out of service but keep it and its history: nobody can be
    given it until it is returned to the pool. A hold on it or its aging ends."""
    actor.require("pool.manage")
    now = now or timezone.now()
    with transaction.atomic():
        line = find_number(actor=actor, value=number, for_update=True)
        if line.status == NumberStatus.ASSIGNED:
            raise Conflict(
                f"{line.dnis} is assigned to {_owner(line.subscriber)}. "
                "Unassign it first, then retire it.",
                field="number",
                code="number_assigned",
            )
        if line.status == NumberStatus.RETIRED:
            raise Conflict(
                f"{line.dnis} is already retired.",
                field="number",
                code="number_retired",
            )
        before = line.audit_snapshot()
        updated = PhoneNumber.objects.filter(
            pk=line.pk,
            status__in=[NumberStatus.AVAILABLE, NumberStatus.HELD, NumberStatus.AGING],
        ).update(
            status=NumberStatus.RETIRED,
            subscriber=None,
            held_until=None,
            aging_until=None,
            previous_subscriber=None,
            updated_at=now,
        )
        if updated != 1:
            raise Conflict(
                f"{line.dnis} was just assigned; look it up again.",
                field="number",
            )
        line.refresh_from_db()
        _audit(
            actor,
            line,
            "number.retired",
            before,
            line.audit_snapshot(),
            reason=str(reason or "").strip()[:500],
        )
    return line


def unretire_number(
    *, actor: Actor, number: str, reason: str = "", now: datetime | None = None
) -> PhoneNumber:
    """Return a retired number to the pool, available to anyone."""
    actor.require("pool.manage")
    now = now or timezone.now()
    with transaction.atomic():
        line = find_number(actor=actor, value=number, for_update=True)
        before = line.audit_snapshot()
        updated = PhoneNumber.objects.filter(
            pk=line.pk, status=NumberStatus.RETIRED
        ).update(status=NumberStatus.AVAILABLE, updated_at=now)
        if updated != 1:
            raise Conflict(
                f"{line.dnis} is not retired; it is "
                f"{line.effective_status_display(now).lower()}.",
                field="number",
                code="not_retired",
            )
        line.refresh_from_db()
        _audit(
            actor,
            line,
            "number.unretired",
            before,
            line.audit_snapshot(),
            reason=str(reason or "").strip()[:500],
        )
    return line


def _open_assignment(actor, line, subscriber, now):
    NumberAssignment.objects.create(
        number=line,
        subscriber=subscriber,
        assigned_at=now,
        assigned_by=actor.user,
        assigned_by_label=actor.label[:300],
    )


def _claim(line, claimant, now, **changes) -> bool:
    """Take the row for `claimant` if it is still claimable: one winner per race."""
    updated = (
        PhoneNumber.objects.filter(pk=line.pk)
        .filter(claimable(now, claimant))
        .update(updated_at=now, subscriber=claimant, **changes)
    )
    return updated == 1


def assign_number(
    *,
    actor: Actor,
    number: str,
    subscriber_id: str,
    now: datetime | None = None,
) -> PhoneNumber:
    """Give a number of the pool to a subscriber (the one it is held for, or its
    previous owner while it ages, or anyone once it is available)."""
    actor.require("numbers.assign")
    now = now or timezone.now()
    with transaction.atomic():
        line = find_number(actor=actor, value=number)
        subscriber = get_subscriber(actor=actor, public_id=subscriber_id)
        _assignable(subscriber, line)
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
            line.refresh_from_db()
            raise _refusal(line, subscriber, now)
        line.refresh_from_db()
        _open_assignment(actor, line, subscriber, now)
        _audit(actor, line, "number.assigned", before, line.audit_snapshot())
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
        subscriber = get_subscriber(actor=actor, public_id=subscriber_id)
        _assignable(subscriber, line)
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
        line.refresh_from_db()
        _audit(actor, line, "number.held", before, line.audit_snapshot())
    return line


def _release(actor, line, now, *, action, reason="") -> None:
    """Assigned → aging (or straight to available without an aging period);
    held → available. The caller holds the row."""
    before = line.audit_snapshot()
    owner = line.subscriber
    if line.status == NumberStatus.HELD:
        changes = {"status": NumberStatus.AVAILABLE, "held_until": None}
        action = "number.hold_released"
    else:
        days = line.partner.number_aging_days
        if days:
            changes = {
                "status": NumberStatus.AGING,
                "aging_until": now + timedelta(days=days),
                "previous_subscriber": owner,
            }
        else:
            changes = {"status": NumberStatus.AVAILABLE, "previous_subscriber": None}
    updated = PhoneNumber.objects.filter(
        pk=line.pk, status=line.status, subscriber=owner
    ).update(subscriber=None, updated_at=now, **changes)
    if updated != 1:
        raise Conflict(
            f"{line.dnis} changed while you were working; look it up again.",
            field="number",
        )
    if line.status == NumberStatus.ASSIGNED:
        NumberAssignment.objects.filter(number=line, released_at__isnull=True).update(
            released_at=now,
            released_by=actor.user,
            released_by_label=actor.label[:300],
        )
    line.refresh_from_db()
    _audit(actor, line, action, before, line.audit_snapshot(), reason=reason)


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
            subscriber = get_subscriber(actor=actor, public_id=subscriber_id)
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
                f"{line.dnis} is {relation} {_owner(line.subscriber)}, "
                f"not to {_owner(subscriber)}.",
                field="subscriber_id",
                code="wrong_subscriber",
            )
        _release(actor, line, now, action="number.unassigned")
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
            _release(actor, line, now, action="number.unassigned", reason=reason)
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
                _audit(actor, line, action, before, line.audit_snapshot())
                count += 1
    return count
