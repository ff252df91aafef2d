"""A partner's plans: named bundles of features."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from csrtool import validation
from csrtool.audit.services import record
from csrtool.errors import DomainError, NotFound, ValidationFailed
from csrtool.features.catalog import (
    grantable_keys,
    load_catalog,
)
from csrtool.features.models import (
    Plan,
    Source,
    SubscriberFeature,
    SubscriberPlan,
)
from csrtool.features.services.subscriber_features import (
    _known,
    _refuse_ungrantable,
)
from csrtool.partners.access import Actor
from csrtool.partners.models import Partner

PLAN_NAME_TAKEN = "Another plan already has this name."


def get_plan(*, actor: Actor, plan_id) -> Plan:
    actor.require("features.view")
    try:
        return (
            Plan.objects.for_actor(actor).select_related("partner").get(pk=int(plan_id))
        )
    except (Plan.DoesNotExist, TypeError, ValueError):
        raise NotFound(
            f"No plan has the ID {str(plan_id)[:20]!r}.", field="plan"
        ) from None


def _clean_plan(catalog, partner, *, name, description, features) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned: dict = {"description": str(description or "").strip()[:300]}
    try:
        cleaned["name"] = validation.clean_text(
            name, field="name", label="Plan name", max_length=100
        )
    except DomainError as e:
        errors["name"] = [e.message]
    try:
        keys = _known(catalog, features)
        if not keys:
            raise ValidationFailed({"features": ["Choose at least one feature."]})
        _refuse_ungrantable(catalog, partner, keys, grantable_keys(partner))
        missing = catalog.missing_dependencies(keys)
        if missing:
            needing = {k for k in keys if catalog.dependencies_of([k]) & missing}
            raise ValidationFailed(
                {
                    "features": [
                        f"{catalog.names(needing)} needs {catalog.names(missing)}: "
                        "include it in the plan."
                    ]
                }
            )
        cleaned["features"] = keys
    except ValidationFailed as e:
        errors.update(e.errors)
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _plan_snapshot(plan: Plan) -> dict:
    return {
        "name": plan.name,
        "description": plan.description,
        "features": sorted(plan.features.values_list("key", flat=True)),
    }


def create_plan(
    *,
    actor: Actor,
    name: str,
    features: Iterable[str],
    description: str = "",
    partner: Partner | None = None,
) -> Plan:
    """Define a named bundle of the partner's grantable features."""
    actor.require("plans.manage")
    partner = actor.require_partner(partner)
    catalog = load_catalog()
    cleaned = _clean_plan(
        catalog, partner, name=name, description=description, features=features
    )
    try:
        with transaction.atomic():
            plan = Plan.objects.create(
                partner=partner,
                name=cleaned["name"],
                description=cleaned["description"],
            )
            plan.features.set([catalog.features[k] for k in cleaned["features"]])
            record(
                actor=actor,
                action="plan.created",
                target=plan,
                after=_plan_snapshot(plan),
            )
    except IntegrityError:
        raise ValidationFailed({"name": [PLAN_NAME_TAKEN]}) from None
    return plan


def update_plan(
    *,
    actor: Actor,
    plan_id: int,
    name: str,
    features: Iterable[str],
    description: str = "",
) -> Plan:
    """Change a plan. Subscribers on it keep their features until it is re-applied."""
    actor.require("plans.manage")
    catalog = load_catalog()
    try:
        with transaction.atomic():
            plan = get_plan(actor=actor, plan_id=plan_id)
            plan = Plan.objects.select_for_update().get(pk=plan.pk)
            cleaned = _clean_plan(
                catalog,
                plan.partner,
                name=name,
                description=description,
                features=features,
            )
            before = _plan_snapshot(plan)
            plan.name, plan.description = cleaned["name"], cleaned["description"]
            plan.updated_at = timezone.now()
            plan.save(update_fields=["name", "description", "updated_at"])
            plan.features.set([catalog.features[k] for k in cleaned["features"]])
            after = _plan_snapshot(plan)
            if after != before:
                record(
                    actor=actor,
                    action="plan.updated",
                    target=plan,
                    before=before,
                    after=after,
                )
    except IntegrityError:
        raise ValidationFailed({"name": [PLAN_NAME_TAKEN]}) from None
    return plan


def delete_plan(*, actor: Actor, plan_id: int) -> None:
    """Remove a plan; subscribers on it keep their features as individual ones."""
    actor.require("plans.manage")
    with transaction.atomic():
        plan = get_plan(actor=actor, plan_id=plan_id)
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        on_plan = SubscriberPlan.objects.filter(plan=plan)
        subscribers = list(on_plan.values_list("subscriber_id", flat=True))
        rows = SubscriberFeature.objects.filter(subscriber_id__in=subscribers)
        rows.filter(source=Source.REMOVED).delete()
        rows.filter(source=Source.PLAN).update(source=Source.ADDED)
        on_plan.delete()
        before = {**_plan_snapshot(plan), "subscribers_on_plan": len(subscribers)}
        record(actor=actor, action="plan.deleted", target=plan, before=before)
        plan.delete()
