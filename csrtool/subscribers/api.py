from datetime import datetime

from ninja import Field, Query, Router, Schema
from ninja.responses import Status as Reply

from csrtool.subscribers import services
from csrtool.subscribers.models import Status, Subscriber
from csrtool.subscribers.search import lookup_for
from csrtool.workflows.new_account import open_account

router = Router(tags=["subscribers"])


class SubscriberIn(Schema):
    first_name: str
    last_name: str
    email: str
    phone: str
    billing_id: str
    time_zone: str | None = None
    language: str | None = Field(
        None,
        description="What the subscriber's pages and emails speak (en, es); "
        "empty: the partner's default language.",
    )
    number: str | None = Field(
        None, description="A number of the pool to assign (number or DNIS)."
    )
    plan: int | None = Field(None, description="The ID of a plan to apply.")
    features: list[str] = Field(
        [], description="Feature keys to enable (on top of the plan, if any)."
    )
    enable_dependencies: bool = Field(
        False, description="Also enable what the chosen features need."
    )


class SubscriberPatch(Schema):
    first_name: str | None = None
    last_name: str | None = None
    contact_email: str | None = None
    phone: str | None = None
    time_zone: str | None = None
    language: str | None = None
    billing_id: str | None = None


class StatusChangeIn(Schema):
    reason: str = ""


class SubscriberOut(Schema):
    subscriber_id: str
    partner: str
    first_name: str
    last_name: str
    email: str
    contact_email: str
    phone: str
    time_zone: str
    date_format: str
    language: str
    billing_id: str
    status: str
    created_at: datetime
    activated_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def from_subscriber(s: Subscriber) -> dict:
        return {
            "subscriber_id": s.public_id,
            "partner": s.partner.slug,
            "first_name": s.first_name,
            "last_name": s.last_name,
            "email": s.email,
            "contact_email": s.effective_contact_email,
            "phone": s.phone,
            "time_zone": s.time_zone,
            "date_format": s.date_format,
            "language": s.language,
            "billing_id": s.billing_id,
            "status": s.status,
            "created_at": s.created_at,
            "activated_at": s.activated_at,
            "closed_at": s.closed_at,
        }


class NewSubscriberOut(SubscriberOut):
    number: str | None
    plan: str | None
    features: list[str]


class SubscriberPage(Schema):
    items: list[SubscriberOut]
    next_cursor: str | None


class SubscriberFilters(Schema):
    q: str = ""
    status: Status | None = None
    cursor: str | None = None
    limit: int = 50


@router.post("", response={201: NewSubscriberOut}, summary="Add an enterprise account")
def create_subscriber(request, payload: SubscriberIn):
    """Add the account and, in the same transaction, optionally assign a number
    and apply a plan or enable features: all of it happens, or none of it."""
    new = open_account(actor=request.auth, **payload.dict())
    return Reply(
        201,
        {
            **SubscriberOut.from_subscriber(new.subscriber),
            "number": new.number.number if new.number else None,
            "plan": new.plan or None,
            "features": sorted(new.features),
        },
    )


@router.get("", response=SubscriberPage, summary="Look subscribers up")
def list_subscribers(request, filters: Query[SubscriberFilters]):
    actor = request.auth
    actor.require("subscribers.view")
    page = lookup_for(
        actor,
        filters.q,
        status=filters.status or "",
        cursor=filters.cursor,
        size=max(1, min(filters.limit, 100)),
    )
    return {
        "items": [SubscriberOut.from_subscriber(s) for s in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get("/{subscriber_id}", response=SubscriberOut, summary="One subscriber")
def get_subscriber(request, subscriber_id: str):
    subscriber = services.get_subscriber(actor=request.auth, public_id=subscriber_id)
    return SubscriberOut.from_subscriber(subscriber)


@router.patch("/{subscriber_id}", response=SubscriberOut, summary="Edit details")
def update_subscriber(request, subscriber_id: str, payload: SubscriberPatch):
    subscriber = services.update_subscriber(
        actor=request.auth,
        public_id=subscriber_id,
        **payload.dict(exclude_unset=True),
    )
    return SubscriberOut.from_subscriber(subscriber)


def _status_route(transition: str):
    def change(request, subscriber_id: str, payload: StatusChangeIn):
        subscriber = services.change_status(
            actor=request.auth,
            public_id=subscriber_id,
            transition=transition,
            reason=payload.reason,
        )
        return SubscriberOut.from_subscriber(subscriber)

    change.__name__ = f"{transition}_subscriber"
    return change


for _transition in ("suspend", "reactivate", "close"):
    router.post(
        f"/{{subscriber_id}}/{_transition}",
        response=SubscriberOut,
        summary=f"{_transition.title()} the account",
    )(_status_route(_transition))
