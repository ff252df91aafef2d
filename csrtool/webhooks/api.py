"""/api/v1/webhooks/endpoints: a partner's webhook endpoints and their deliveries."""

from datetime import datetime

from ninja import Field, Query, Router, Schema
from ninja.responses import Status as Reply

from csrtool.pagination import keyset_page
from csrtool.webhooks import services
from csrtool.webhooks.models import WebhookDelivery, WebhookEndpoint

router = Router(tags=["webhooks"])


class EndpointIn(Schema):
    url: str = Field(description="https:// URL on the public internet.")
    event_types: list[str] = Field(
        [], description="Event types to send (see GET /events); empty: all."
    )
    description: str = ""


class EndpointPatch(Schema):
    url: str | None = None
    event_types: list[str] | None = None
    description: str | None = None
    enabled: bool | None = None


class EndpointOut(Schema):
    id: str
    partner: str
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str
    failing_since: datetime | None
    created_at: datetime

    @staticmethod
    def from_endpoint(e: WebhookEndpoint) -> dict:
        return {
            "id": e.public_id,
            "partner": e.partner.slug,
            "url": e.url,
            "description": e.description,
            "event_types": list(e.event_types),
            "enabled": e.is_enabled,
            "disabled_reason": e.disabled_reason,
            "failing_since": e.failing_since,
            "created_at": e.created_at,
        }


class EndpointWithSecretOut(EndpointOut):
    secret: str = Field(description="The signing secret; shown only in this answer.")


class AttemptOut(Schema):
    started_at: datetime
    duration_ms: int
    status_code: int | None
    response_excerpt: str
    error: str


class DeliveryOut(Schema):
    event_id: str
    event_type: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    finished_at: datetime | None
    attempt_log: list[AttemptOut]


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


class SendAgainIn(Schema):
    event_id: str = Field("", description="One event's id, or:")
    since: datetime | None = Field(None, description="every event from this time")
    until: datetime | None = Field(None, description="and before this one.")


class SendAgainOut(Schema):
    queued: int


class DeliveryFilters(Schema):
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=100)


@router.get("/endpoints", response=list[EndpointOut], summary="List webhook endpoints")
def list_endpoints(request):
    actor = request.auth
    actor.require("partner.settings")
    endpoints = (
        WebhookEndpoint.objects.for_actor(actor)
        .select_related("partner")
        .order_by("created_at", "id")
    )
    return [EndpointOut.from_endpoint(e) for e in endpoints]


@router.post(
    "/endpoints",
    response={201: EndpointWithSecretOut},
    summary="Register a webhook endpoint",
)
def create_endpoint(request, payload: EndpointIn):
    """The answer carries the signing secret (`whsec_…`), never shown again."""
    endpoint, secret = services.create_endpoint(actor=request.auth, **payload.dict())
    return Reply(201, {**EndpointOut.from_endpoint(endpoint), "secret": secret})


@router.get("/endpoints/{endpoint_id}", response=EndpointOut, summary="One endpoint")
def get_endpoint(request, endpoint_id: str):
    endpoint = services.find_endpoint(actor=request.auth, endpoint_id=endpoint_id)
    return EndpointOut.from_endpoint(endpoint)


@router.patch("/endpoints/{endpoint_id}", response=EndpointOut, summary="Change one")
def update_endpoint(request, endpoint_id: str, payload: EndpointPatch):
    endpoint = services.update_endpoint(
        actor=request.auth, endpoint_id=endpoint_id, **payload.dict()
    )
    return EndpointOut.from_endpoint(endpoint)


@router.delete("/endpoints/{endpoint_id}", response={204: None}, summary="Remove one")
def delete_endpoint(request, endpoint_id: str):
    services.delete_endpoint(actor=request.auth, endpoint_id=endpoint_id)
    return Reply(204, None)


@router.post(
    "/endpoints/{endpoint_id}/rotate-secret",
    response=EndpointWithSecretOut,
    summary="Give an endpoint a new signing secret",
)
def rotate_secret(request, endpoint_id: str):
    """The old secret keeps signing too (a second signature) for 24 hours."""
    endpoint, secret = services.rotate_secret(
        actor=request.auth, endpoint_id=endpoint_id
    )
    return {**EndpointOut.from_endpoint(endpoint), "secret": secret}


@router.get(
    "/endpoints/{endpoint_id}/deliveries",
    response=DeliveryPage,
    summary="An endpoint's delivery log, newest first",
)
def list_deliveries(request, endpoint_id: str, filters: Query[DeliveryFilters]):
    endpoint = services.find_endpoint(actor=request.auth, endpoint_id=endpoint_id)
    page = keyset_page(
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related("attempt_log"),
        filters.cursor,
        size=filters.limit,
    )
    return {
        "items": [delivery_json(d) for d in page.items],
        "next_cursor": page.next_cursor,
    }


def delivery_json(d: WebhookDelivery) -> dict:
    finished = d.status in ("delivered", "failed")
    return {
        "event_id": d.event.public_id,
        "event_type": d.event.type,
        "status": d.status,
        "attempts": d.attempts,
        "created_at": d.created_at,
        "next_attempt_at": None if finished else d.next_attempt_at,
        "finished_at": d.finished_at,
        "attempt_log": [
            {
                "started_at": a.started_at,
                "duration_ms": a.duration_ms,
                "status_code": a.status_code,
                "response_excerpt": a.response_excerpt,
                "error": a.error,
            }
            for a in d.attempt_log.all()
        ],
    }


@router.post(
    "/endpoints/{endpoint_id}/send-again",
    response={202: SendAgainOut},
    summary="Send one event, or a time range of events, again",
)
def send_again(request, endpoint_id: str, payload: SendAgainIn):
    queued = services.send_again(
        actor=request.auth, endpoint_id=endpoint_id, **payload.dict()
    )
    return Reply(202, {"queued": queued})
