"""What is in a partner's pool: add a number, remove it, retire it and return
it to the pool."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from csrtool.errors import Conflict, ValidationFailed
from csrtool.numberpool.lines import clean_line, region_for
from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.numberpool.services.assignment import ensure_assignable
from csrtool.numberpool.services.history import open_assignment, record_change
from csrtool.numberpool.services.lookup import find_number, owner_label, when_label
from csrtool.partners.access import Actor
from csrtool.partners.models import Partner
from csrtool.subscribers.services import find_subscriber

DNIS_TAKEN = "This DNIS is already in the pool of this installation."
NUMBER_TAKEN = "This phone number is already in the pool of this installation."


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
    """Add a number to the pool, available, or already assigned to a subscriber
    (by Subscriber ID or login email). A number given with + and its country
    code fills in a DNIS, a country code and an area code left blank."""
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
        derive=True,
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
                subscriber = find_subscriber(
                    actor=actor.for_partner(partner), value=subscriber_id
                )
            line = PhoneNumber(partner=partner, created_at=now, updated_at=now)
            for field, value in cleaned.items():
                setattr(line, field, value)
            if subscriber is not None:
                ensure_assignable(subscriber=subscriber, line=line)
                line.status = NumberStatus.ASSIGNED
                line.subscriber = subscriber
            line.save()
            record_change(actor, line, "number.added", None, line.audit_snapshot())
            if subscriber is not None:
                open_assignment(actor, line, subscriber, now)
                record_change(
                    actor, line, "number.assigned", None, line.audit_snapshot()
                )
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
                f"{line.dnis} is assigned to {owner_label(line.subscriber)}. "
                "Unassign it first, then remove it.",
                field="dnis",
                code="number_assigned",
            )
        if line.effective_status(now) == NumberStatus.HELD:
            raise Conflict(
                f"{line.dnis} is held for {owner_label(line.subscriber)} until "
                f"{when_label(line.held_until)}. "
                "Release the hold first, then remove it.",
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
        record_change(actor, line, "number.removed", before, None)
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
                f"{line.dnis} is assigned to {owner_label(line.subscriber)}. "
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
        record_change(
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
        record_change(
            actor,
            line,
            "number.unretired",
            before,
            line.audit_snapshot(),
            reason=str(reason or "").strip()[:500],
        )
    return line
