from datetime import datetime

from ninja import Query, Router, Schema
from ninja.responses import Status as Reply

from csrtool.numberpool import import_api, services
from csrtool.numberpool.models import (
    NumberAssignment,
    NumberStatus,
    NumberType,
    PhoneNumber,
)
from csrtool.validation import clean_codes

router = Router(tags=["numbers"])
# Bulk import and export first, so "/export" is never read as a DNIS.
import_api.register(router)


class NumberIn(Schema):
    """A number given with + and its country code fills in a DNIS, country
    code and area code left out; subscriber_id also takes the login email."""

    number: str
    dnis: str = ""
    number_type: str
    country_code: str = ""
    area_code: str = ""
    subscriber_id: str = ""


class SubscriberRef(Schema):
    subscriber_id: str


class UnassignIn(Schema):
    subscriber_id: str = ""


class ReasonIn(Schema):
    reason: str = ""


class OwnerOut(Schema):
    subscriber_id: str
    assigned_at: datetime
    released_at: datetime | None


class NumberOut(Schema):
    number: str
    dnis: str
    number_type: str
    country_code: str
    area_code: str
    status: str
    subscriber_id: str | None
    held_until: datetime | None
    aging_until: datetime | None
    partner: str

    @staticmethod
    def from_line(line: PhoneNumber) -> dict:
        status = line.effective_status()
        return {
            "number": line.number,
            "dnis": line.dnis,
            "number_type": line.number_type,
            "country_code": line.country_code,
            "area_code": line.area_code,
            "status": status,
            "subscriber_id": (
                line.subscriber.public_id
                if line.subscriber_id and status != NumberStatus.AVAILABLE
                else None
            ),
            "held_until": line.held_until if status == NumberStatus.HELD else None,
            "aging_until": line.aging_until if status == NumberStatus.AGING else None,
            "partner": line.partner.slug,
        }


class NumberDetailOut(NumberOut):
    owners: list[OwnerOut]


class NumberPage(Schema):
    items: list[NumberOut]
    next_cursor: str | None


class NumberFilters(Schema):
    q: str = ""
    available: bool = False
    status: NumberStatus | None = None
    country_code: str = ""
    number_type: NumberType | None = None
    area_code: str = ""
    cursor: str | None = None
    limit: int = 50


@router.get("", response=NumberPage, summary="List or search the number pool")
def list_numbers(request, filters: Query[NumberFilters]):
    """`q` matches every number whose DNIS contains the digits; with four digits
    or more, the numbers whose DNIS ends in them come first, each part in number
    order. `available` keeps the numbers free to assign now."""
    actor = request.auth
    actor.require("pool.view")
    if filters.q:
        queryset = PhoneNumber.objects.line_lookup(actor, filters.q)
    else:
        queryset = PhoneNumber.objects.for_actor(actor).select_related(
            "partner", "subscriber"
        )
    clean_codes(filters.country_code, filters.area_code)
    if filters.available:
        queryset = queryset.available()
    queryset = queryset.filtered(
        country_code=filters.country_code,
        number_type=filters.number_type or "",
        area_code=filters.area_code,
        status=filters.status or "",
    )
    page = queryset.page(filters.cursor, size=max(1, min(filters.limit, 100)))
    return {
        "items": [NumberOut.from_line(line) for line in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get("/{dnis}", response=NumberDetailOut, summary="One number and its owners")
def get_number(request, dnis: str):
    line = services.find_number(actor=request.auth, value=dnis)
    owners = (
        NumberAssignment.objects.filter(number=line)
        .select_related("subscriber")
        .order_by("-assigned_at", "-pk")
    )
    return NumberOut.from_line(line) | {
        "owners": [
            {
                "subscriber_id": o.subscriber.public_id,
                "assigned_at": o.assigned_at,
                "released_at": o.released_at,
            }
            for o in owners
        ]
    }


@router.post("", response={201: NumberOut}, summary="Add a number to the pool")
def add_number(request, payload: NumberIn):
    line = services.add_number(actor=request.auth, **payload.dict())
    return Reply(201, NumberOut.from_line(line))


@router.delete("/{dnis}", response={204: None}, summary="Remove a number")
def remove_number(request, dnis: str):
    services.remove_number(actor=request.auth, dnis=dnis)
    return Reply(204, None)


@router.post("/{dnis}/retire", response=NumberOut, summary="Retire a number")
def retire_number(request, dnis: str, payload: ReasonIn):
    """409 `number_assigned` for an assigned number (unassign it first) and
    `number_retired` for one already retired."""
    line = services.retire_number(
        actor=request.auth, number=dnis, reason=payload.reason
    )
    return NumberOut.from_line(line)


@router.post("/{dnis}/unretire", response=NumberOut, summary="Return to the pool")
def unretire_number(request, dnis: str, payload: ReasonIn):
    """409 `not_retired` unless the number is retired."""
    line = services.unretire_number(
        actor=request.auth, number=dnis, reason=payload.reason
    )
    return NumberOut.from_line(line)


@router.post("/{dnis}/assign", response=NumberOut, summary="Assign to a subscriber")
def assign_number(request, dnis: str, payload: SubscriberRef):
    """409 `already_assigned` when another subscriber (or this one) has it."""
    line = services.assign_number(
        actor=request.auth, number=dnis, subscriber_id=payload.subscriber_id
    )
    return NumberOut.from_line(line)


@router.post("/{dnis}/unassign", response=NumberOut, summary="Unassign (starts aging)")
def unassign_number(request, dnis: str, payload: UnassignIn):
    line = services.unassign_number(
        actor=request.auth, number=dnis, subscriber_id=payload.subscriber_id
    )
    return NumberOut.from_line(line)


@router.post("/{dnis}/hold", response=NumberOut, summary="Hold for a subscriber")
def hold_number(request, dnis: str, payload: SubscriberRef):
    line = services.hold_number(
        actor=request.auth, number=dnis, subscriber_id=payload.subscriber_id
    )
    return NumberOut.from_line(line)
