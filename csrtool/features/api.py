from ninja import Field, Router, Schema
from ninja.responses import Status as Reply

from csrtool.features import services
from csrtool.features.catalog import feature_state, grantable_keys, load_catalog
from csrtool.features.models import Plan
from csrtool.features.readiness import readiness_of
from csrtool.partners.services import get_partner
from csrtool.subscribers.models import Subscriber
from csrtool.subscribers.services import get_subscriber

router = Router(tags=["features"])


class FeatureOut(Schema):
    key: str
    name: str
    description: str
    dependencies: list[str]
    active: bool
    grantable: bool


class FeaturePage(Schema):
    items: list[FeatureOut]
    next_cursor: str | None = None


class PlanOut(Schema):
    id: int
    name: str
    description: str
    features: list[str]


class PlanWrite(Schema):
    name: str
    description: str = ""
    features: list[str] = Field(description="Feature keys (see GET /catalog).")


class FeatureWrite(Schema):
    name: str
    description: str = ""
    dependencies: list[str] = []
    active: bool = True


class EntitlementsOut(Schema):
    partner: str
    restricted: bool = Field(description="false: the partner may grant the catalog.")
    features: list[str] = Field(description="What the partner may grant.")


class EntitlementsIn(Schema):
    features: list[str] | None = Field(
        description="What the partner may grant; null: the whole catalog."
    )


class PlanPage(Schema):
    items: list[PlanOut]
    next_cursor: str | None = None


class SubscriberFeaturesOut(Schema):
    subscriber_id: str
    plan: str | None
    features: list[str]
    sources: dict[str, str]


class FeaturesIn(Schema):
    features: list[str]
    enable_dependencies: bool = False
    disable_dependents: bool = False
    reason: str = ""


class PlanIn(Schema):
    plan_id: int | None
    reason: str = ""


class StepOut(Schema):
    key: str
    label: str
    done: bool


class ReadinessOut(Schema):
    subscriber_id: str
    ready: bool
    steps: list[StepOut]


class BulkIn(Schema):
    subscriber_ids: list[str]
    plan_id: int | None = None
    enable: list[str] = []
    disable: list[str] = []
    reason: str = ""
    preview: bool = True


class BulkRowOut(Schema):
    subscriber_id: str
    before: dict | None
    after: dict | None
    error: str


class BulkOut(Schema):
    applied: bool
    items: list[BulkRowOut]
    next_cursor: str | None = None


def _features_of(subscriber: Subscriber) -> dict:
    state = feature_state(subscriber)
    return {
        "subscriber_id": subscriber.public_id,
        "plan": state.plan_name,
        "features": sorted(state.enabled),
        "sources": state.sources,
    }


@router.get("/catalog", response=FeaturePage, summary="The feature catalog")
def catalog(request):
    actor = request.auth
    actor.require("features.view")
    catalog = load_catalog()
    grantable = (
        grantable_keys(actor.partner) if actor.partner else set(catalog.features)
    )
    return {
        "items": [
            {
                "key": f.key,
                "name": f.name,
                "description": f.description,
                "dependencies": sorted(catalog.requires[f.key]),
                "active": f.is_active,
                "grantable": f.is_active and f.key in grantable,
            }
            for f in catalog.ordered(catalog.features)
        ],
        "next_cursor": None,
    }


@router.get("/plans", response=PlanPage, summary="The partner's plans")
def plans(request):
    actor = request.auth
    actor.require("features.view")
    plans = Plan.objects.for_actor(actor).prefetch_related("features")
    return {
        "items": [_plan(p) for p in plans.order_by("name", "pk")],
        "next_cursor": None,
    }


def _plan(plan: Plan) -> dict:
    return {
        "id": plan.pk,
        "name": plan.name,
        "description": plan.description,
        "features": sorted(f.key for f in plan.features.all()),
    }


@router.post("/plans", response={201: PlanOut}, summary="Define a plan")
def create_plan(request, payload: PlanWrite):
    """A named bundle of the features the partner may grant."""
    plan = services.create_plan(actor=request.auth, **payload.dict())
    return Reply(201, _plan(plan))


@router.get("/plans/{plan_id}", response=PlanOut, summary="One plan")
def get_plan(request, plan_id: int):
    return _plan(services.get_plan(actor=request.auth, plan_id=plan_id))


@router.put("/plans/{plan_id}", response=PlanOut, summary="Change a plan")
def update_plan(request, plan_id: int, payload: PlanWrite):
    """Subscribers on the plan keep their features until it is applied again."""
    plan = services.update_plan(actor=request.auth, plan_id=plan_id, **payload.dict())
    return _plan(plan)


@router.delete("/plans/{plan_id}", response={204: None}, summary="Remove a plan")
def delete_plan(request, plan_id: int):
    """Subscribers on it keep its features, as individual ones."""
    services.delete_plan(actor=request.auth, plan_id=plan_id)
    return Reply(204, None)


@router.put(
    "/catalog/{key}",
    response=FeatureOut,
    summary="Change a feature of the catalog (the operator's key)",
)
def update_feature(request, key: str, payload: FeatureWrite):
    data = payload.dict()
    services.update_feature(
        actor=request.auth,
        key=key,
        name=data["name"],
        description=data["description"],
        dependencies=data["dependencies"],
        is_active=data["active"],
    )
    [item] = [f for f in catalog(request)["items"] if f["key"] == key]
    return item


def _entitlements(partner) -> dict:
    restricted, keys = services.entitlements_of(partner)
    return {"partner": partner.slug, "restricted": restricted, "features": sorted(keys)}


@router.get(
    "/entitlements/{slug}",
    response=EntitlementsOut,
    summary="What a partner may grant",
)
def entitlements(request, slug: str):
    actor = request.auth
    actor.require("features.view")
    return _entitlements(get_partner(actor=actor, slug=slug))


@router.put(
    "/entitlements/{slug}",
    response=EntitlementsOut,
    summary="Narrow what a partner may grant (the operator's key)",
)
def set_entitlements(request, slug: str, payload: EntitlementsIn):
    actor = request.auth
    partner = get_partner(actor=actor, slug=slug)
    services.set_entitlements(actor=actor, partner=partner, features=payload.features)
    return _entitlements(partner)


@router.get(
    "/subscribers/{subscriber_id}",
    response=SubscriberFeaturesOut,
    summary="A subscriber's features and where each came from",
)
def subscriber_features(request, subscriber_id: str):
    request.auth.require("features.view")
    return _features_of(get_subscriber(actor=request.auth, public_id=subscriber_id))


@router.put(
    "/subscribers/{subscriber_id}",
    response=SubscriberFeaturesOut,
    summary="Set a subscriber's features",
    description="A feature whose dependencies are missing, or a disabled feature "
    "others depend on, answers 409 (`dependencies_required` / "
    "`dependents_required`) unless `enable_dependencies` / `disable_dependents` "
    "is set. A feature the partner may not grant answers 400 `not_entitled`.",
)
def set_features(request, subscriber_id: str, payload: FeaturesIn):
    change = services.change_features(
        actor=request.auth,
        public_id=subscriber_id,
        features=payload.features,
        enable_dependencies=payload.enable_dependencies,
        disable_dependents=payload.disable_dependents,
        reason=payload.reason,
    )
    return _features_of(change.subscriber)


@router.post(
    "/subscribers/{subscriber_id}/plan",
    response=SubscriberFeaturesOut,
    summary="Apply a plan (exactly its features); null leaves the plan",
)
def apply_plan(request, subscriber_id: str, payload: PlanIn):
    change = services.apply_plan(
        actor=request.auth,
        public_id=subscriber_id,
        plan_id=payload.plan_id,
        reason=payload.reason,
    )
    return _features_of(change.subscriber)


@router.get(
    "/subscribers/{subscriber_id}/readiness",
    response=ReadinessOut,
    summary="Onboarding progress: created, onboarded, number, features",
)
def readiness(request, subscriber_id: str):
    subscriber = get_subscriber(actor=request.auth, public_id=subscriber_id)
    result = readiness_of(subscriber)
    return {
        "subscriber_id": subscriber.public_id,
        "ready": result.complete,
        "steps": [
            {"key": s.key, "label": s.label, "done": s.done} for s in result.steps
        ],
    }


@router.post(
    "/bulk",
    response=BulkOut,
    summary="Preview or apply a plan or a feature change for many subscribers",
)
def bulk(request, payload: BulkIn):
    run = (
        services.preview_bulk_change if payload.preview else services.apply_bulk_change
    )
    extra = {} if payload.preview else {"reason": payload.reason}
    rows = run(
        actor=request.auth,
        public_ids=payload.subscriber_ids,
        plan_id=payload.plan_id,
        enable=payload.enable,
        disable=payload.disable,
        **extra,
    )
    return {
        "applied": not payload.preview,
        "items": [
            {
                "subscriber_id": r.public_id,
                "before": r.before,
                "after": r.after,
                "error": r.error,
            }
            for r in rows
        ],
        "next_cursor": None,
    }
