"""Every write to features: catalog, entitlements, plans, subscribers' features."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from csrtool import validation
from csrtool.audit.services import record
from csrtool.errors import Conflict, DomainError, NotFound, ValidationFailed
from csrtool.features.catalog import (
    Catalog,
    FeatureState,
    feature_state,
    grantable_keys,
    load_catalog,
)
from csrtool.features.models import (
    EntitlementSet,
    Feature,
    Plan,
    Source,
    SubscriberFeature,
    SubscriberPlan,
)
from csrtool.partners.access import Actor
from csrtool.partners.models import Partner
from csrtool.subscribers.models import Status, Subscriber
from csrtool.subscribers.services import get_subscriber

PLAN_NAME_TAKEN = "Another plan already has this name."


class DependencyConflict(Conflict):
    """A change that leaves a feature without what it needs; the page offers a fix.

    `kind` is "dependencies" (enable `features` too) or "dependents" (disable
    `features` too).
    """

    def __init__(self, message: str, *, kind: str, features: list[str]):
        super().__init__(message, field="features", code=f"{kind}_required")
        self.kind = kind
        self.features = features


@dataclass
class FeatureChange:
    subscriber: Subscriber
    before: dict
    after: dict

    @property
    def added(self) -> set[str]:
        return set(self.after["features"]) - set(self.before["features"])

    @property
    def removed(self) -> set[str]:
        return set(self.before["features"]) - set(self.after["features"])

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def summary(self, catalog: Catalog) -> str:
        parts = []
        if self.before["plan"] != self.after["plan"]:
            parts.append(
                f"plan {self.after['plan']!s} applied"
                if self.after["plan"]
                else "plan removed"
            )
        if self.added:
            parts.append(f"enabled {catalog.names(self.added)}")
        if self.removed:
            parts.append(f"disabled {catalog.names(self.removed)}")
        if not parts:
            return "No change."
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + "."


# Resolving a requested set of features against the catalog and entitlements.


def _known(catalog: Catalog, keys: Iterable[str]) -> set[str]:
    keys = {str(k).strip() for k in keys if str(k).strip()}
    unknown = sorted(keys - catalog.features.keys())
    if unknown:
        raise ValidationFailed(
            {"features": [f"No catalog feature has the key {k!r}." for k in unknown]}
        )
    return keys


def _refuse_ungrantable(
    catalog: Catalog, partner: Partner, keys: set[str], grantable: set[str]
):
    refused = keys - grantable
    if refused:
        error = ValidationFailed(
            {
                "features": [
                    f"{partner.name} may not grant {catalog.names(refused)}. "
                    "Ask the platform operator to add "
                    f"{'it' if len(refused) == 1 else 'them'} to your entitlements."
                ]
            }
        )
        error.code = "not_entitled"
        raise error


def resolve_features(
    *,
    catalog: Catalog,
    partner: Partner,
    grantable: set[str],
    before: set[str],
    requested: set[str],
    enable_dependencies: bool = False,
    disable_dependents: bool = False,
) -> set[str]:
    """The set a subscriber ends up with, or why the request cannot stand.

    Newly enabled features must be grantable; a feature keeps what it depends on:
    disabling a dependency disables its dependents only when asked to, and enabling
    a feature enables what it needs only when asked to.
    """
    requested = set(requested)
    _refuse_ungrantable(catalog, partner, requested - before, grantable)
    removed = before - requested
    dependents = catalog.dependents_of(removed) & requested
    if dependents:
        if not disable_dependents:
            raise DependencyConflict(
                f"{catalog.names(dependents)} "
                f"{'needs' if len(dependents) == 1 else 'need'} "
                f"{catalog.names(catalog.dependencies_of(dependents) & removed)}. "
                f"Disable {catalog.names(dependents)} too, or keep "
                f"{catalog.names(catalog.dependencies_of(dependents) & removed)}.",
                kind="dependents",
                features=[f.key for f in catalog.ordered(dependents)],
            )
        requested -= dependents
    missing = catalog.missing_dependencies(requested)
    if missing:
        needing = {k for k in requested if catalog.dependencies_of([k]) & missing}
        if missing - before - grantable:
            raise ValidationFailed(
                {
                    "features": [
                        f"{catalog.names(needing)} needs {catalog.names(missing)}, "
                        f"which {partner.name} may not grant."
                    ]
                }
            )
        if not enable_dependencies:
            raise DependencyConflict(
                f"{catalog.names(needing)} "
                f"{'needs' if len(needing) == 1 else 'need'} "
                f"{catalog.names(missing)}. Enable "
                f"{'it' if len(missing) == 1 else 'them'} too.",
                kind="dependencies",
                features=[f.key for f in catalog.ordered(missing)],
            )
        requested |= missing
    return requested


def _write_features(state: FeatureState, catalog: Catalog, enabled: set[str]):
    """Store `enabled` for the subscriber, marking each feature's source."""
    wanted = {k: Source.PLAN if k in state.plan_keys else Source.ADDED for k in enabled}
    for key in state.plan_keys - enabled:
        wanted[key] = Source.REMOVED
    now = timezone.now()
    rows = SubscriberFeature.objects.filter(subscriber=state.subscriber)
    gone = set(state.sources) - set(wanted)
    if gone:
        rows.filter(feature__key__in=gone).delete()
    for key, source in wanted.items():
        if key not in state.sources:
            SubscriberFeature.objects.create(
                subscriber=state.subscriber,
                feature=catalog.features[key],
                source=source,
                changed_at=now,
            )
        elif state.sources[key] != source:
            rows.filter(feature__key=key).update(source=source, changed_at=now)
    state.sources = dict(wanted)


def _open_subscriber(subscriber: Subscriber):
    if subscriber.status == Status.CLOSED:
        raise Conflict(
            "This account is closed; its features can no longer be changed.",
            code="subscriber_closed",
        )


def _audit_change(actor, state_before: dict, state: FeatureState, action, reason):
    change = FeatureChange(
        subscriber=state.subscriber, before=state_before, after=state.snapshot()
    )
    if change.changed:
        record(
            actor=actor,
            action=action,
            target=state.subscriber,
            before=change.before,
            after=change.after,
            reason=reason,
        )
    return change


def change_features(
    *,
    actor: Actor,
    public_id: str,
    features: Iterable[str] | None = None,
    enable: Iterable[str] = (),
    disable: Iterable[str] = (),
    enable_dependencies: bool = False,
    disable_dependents: bool = False,
    reason: str = "",
) -> FeatureChange:
    """Set a subscriber's features to exactly `features`, or enable/disable some.

    Features the subscriber keeps from its plan stay marked as the plan's; others
    are additions, and plan features switched off are recorded as removals.
    """
    actor.require("features.change")
    with transaction.atomic():
        subscriber = get_subscriber(actor=actor, public_id=public_id, for_update=True)
        _open_subscriber(subscriber)
        catalog = load_catalog()
        state = feature_state(subscriber)
        before = state.snapshot()
        enabled = state.enabled
        if features is not None:
            requested = _known(catalog, features)
        else:
            requested = (enabled | _known(catalog, enable)) - _known(catalog, disable)
        final = resolve_features(
            catalog=catalog,
            partner=subscriber.partner,
            grantable=grantable_keys(subscriber.partner),
            before=enabled,
            requested=requested,
            enable_dependencies=enable_dependencies,
            disable_dependents=disable_dependents,
        )
        if final != enabled:
            _write_features(state, catalog, final)
        return _audit_change(
            actor, before, state, "subscriber.features_changed", reason
        )


def _plan_for(subscriber: Subscriber, plan_id) -> Plan:
    try:
        return Plan.objects.for_partner(subscriber.partner).get(pk=int(plan_id))
    except (Plan.DoesNotExist, TypeError, ValueError):
        raise NotFound(
            f"No plan has the ID {str(plan_id)[:20]!r}.", field="plan"
        ) from None


def _apply_plan(state: FeatureState, catalog: Catalog, plan: Plan | None):
    subscriber = state.subscriber
    if plan is None:
        SubscriberPlan.objects.filter(subscriber=subscriber).delete()
        enabled = state.enabled
        state.plan, state.plan_keys = None, set()
        _write_features(state, catalog, enabled)
        return
    plan_keys = set(plan.features.values_list("key", flat=True))
    _refuse_ungrantable(
        catalog,
        subscriber.partner,
        plan_keys - state.enabled,
        grantable_keys(subscriber.partner),
    )
    missing = catalog.missing_dependencies(plan_keys)
    if missing:
        raise ValidationFailed(
            {
                "plan": [
                    f"The plan {plan.name} lacks {catalog.names(missing)}, which "
                    "its features need. Fix the plan first."
                ]
            }
        )
    SubscriberPlan.objects.update_or_create(
        subscriber=subscriber,
        defaults={"plan": plan, "applied_at": timezone.now()},
    )
    state.plan, state.plan_keys = plan, plan_keys
    _write_features(state, catalog, plan_keys)


def apply_plan(
    *, actor: Actor, public_id: str, plan_id: int | None, reason: str = ""
) -> FeatureChange:
    """Give the subscriber exactly the plan's features, dropping its overrides.

    Without a plan, the subscriber leaves its plan and keeps its features as
    individual additions.
    """
    actor.require("features.change")
    with transaction.atomic():
        subscriber = get_subscriber(actor=actor, public_id=public_id, for_update=True)
        _open_subscriber(subscriber)
        plan = None if plan_id in (None, "") else _plan_for(subscriber, plan_id)
        catalog = load_catalog()
        state = feature_state(subscriber)
        before = state.snapshot()
        _apply_plan(state, catalog, plan)
        return _audit_change(actor, before, state, "subscriber.plan_applied", reason)


# Bulk changes, previewed first.

BULK_LIMIT = 200


@dataclass
class BulkRow:
    public_id: str
    subscriber: Subscriber | None
    before: dict | None = None
    after: dict | None = None
    error: str = ""

    @property
    def change(self) -> FeatureChange | None:
        if self.subscriber is None or self.before is None or self.after is None:
            return None
        return FeatureChange(self.subscriber, self.before, self.after)


def _bulk(
    actor: Actor, public_ids, plan_id, enable, disable, reason, *, write: bool
) -> list[BulkRow]:
    actor.require("features.change")
    ids = list(
        dict.fromkeys(str(p).strip().lower() for p in public_ids if str(p).strip())
    )
    if not ids:
        raise ValidationFailed({"subscribers": ["Select at least one subscriber."]})
    if len(ids) > BULK_LIMIT:
        raise ValidationFailed(
            {"subscribers": [f"Select at most {BULK_LIMIT} subscribers at a time."]}
        )
    catalog = load_catalog()
    enable, disable = _known(catalog, enable), _known(catalog, disable)
    use_plan = plan_id not in (None, "")
    if use_plan == bool(enable or disable):
        raise ValidationFailed(
            {"plan": ["Choose a plan to apply, or features to enable or disable."]}
        )
    if enable & disable:
        raise ValidationFailed(
            {
                "features": [
                    "Choose either to enable or to disable "
                    f"{catalog.names(enable & disable)}."
                ]
            }
        )
    queryset = Subscriber.objects.for_actor(actor).select_related("partner")
    if write:
        queryset = queryset.select_for_update()
    found = {s.public_id: s for s in queryset.filter(public_id__in=ids)}
    grantable: dict[int, set[str]] = {}
    rows = []
    for public_id in ids:
        subscriber = found.get(public_id)
        row = BulkRow(public_id=public_id, subscriber=subscriber)
        rows.append(row)
        if subscriber is None:
            row.error = f"No subscriber has the Subscriber ID {public_id[:40]!r}."
            continue
        try:
            with transaction.atomic():
                _open_subscriber(subscriber)
                state = feature_state(subscriber)
                row.before = state.snapshot()
                if use_plan:
                    _apply_plan(state, catalog, _plan_for(subscriber, plan_id))
                else:
                    if subscriber.partner_id not in grantable:
                        grantable[subscriber.partner_id] = grantable_keys(
                            subscriber.partner
                        )
                    final = resolve_features(
                        catalog=catalog,
                        partner=subscriber.partner,
                        grantable=grantable[subscriber.partner_id],
                        before=state.enabled,
                        requested=(state.enabled | enable) - disable,
                        enable_dependencies=True,
                        disable_dependents=True,
                    )
                    _write_features(state, catalog, final)
                row.after = state.snapshot()
                if write:
                    _audit_change(
                        actor,
                        row.before,
                        state,
                        "subscriber.plan_applied"
                        if use_plan
                        else "subscriber.features_changed",
                        reason,
                    )
                else:
                    # A preview computes the change the same way, then undoes it.
                    transaction.set_rollback(True)
        except DomainError as e:
            row.error = e.message
            row.after = None
    return rows


def preview_bulk_change(
    *,
    actor: Actor,
    public_ids: Iterable[str],
    plan_id: int | None = None,
    enable: Iterable[str] = (),
    disable: Iterable[str] = (),
) -> list[BulkRow]:
    """What applying a plan or a feature change would do to each subscriber."""
    with transaction.atomic():
        return _bulk(actor, public_ids, plan_id, enable, disable, "", write=False)


def apply_bulk_change(
    *,
    actor: Actor,
    public_ids: Iterable[str],
    plan_id: int | None = None,
    enable: Iterable[str] = (),
    disable: Iterable[str] = (),
    reason: str = "",
) -> list[BulkRow]:
    """Apply a plan or a feature change to many subscribers, audited one by one.

    Dependencies are followed as in the preview; a subscriber that cannot take the
    change is skipped with the reason, and the others are changed.
    """
    with transaction.atomic():
        return _bulk(actor, public_ids, plan_id, enable, disable, reason, write=True)


# Plans.


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


# The catalog and entitlements: the platform operator's.


def _refuse_cycle(catalog: Catalog, key: str, dependencies: set[str]):
    if key in dependencies:
        raise ValidationFailed({"dependencies": ["A feature cannot depend on itself."]})
    looping = {d for d in dependencies if key in catalog.dependencies_of([d]) | {d}}
    if looping:
        raise ValidationFailed(
            {
                "dependencies": [
                    f"{catalog.names(looping)} already "
                    f"{'depends' if len(looping) == 1 else 'depend'} on "
                    f"{catalog.features[key].name}; a dependency cannot go both ways."
                ]
            }
        )


def _feature_snapshot(feature: Feature, catalog: Catalog) -> dict:
    return {
        "name": feature.name,
        "description": feature.description,
        "dependencies": sorted(catalog.requires.get(feature.key, ())),
        "is_active": feature.is_active,
    }


def update_feature(
    *,
    actor: Actor,
    key: str,
    name: str,
    description: str,
    dependencies: Iterable[str],
    is_active: bool,
) -> Feature:
    """Edit a catalog feature: its name, description, dependencies, availability."""
    actor.require("catalog.manage")
    with transaction.atomic():
        # Locking the whole (small) catalog settles two edits racing into a cycle.
        list(Feature.objects.select_for_update().order_by("pk"))
        catalog = load_catalog()
        feature = catalog.features.get(str(key or "").strip())
        if feature is None:
            raise NotFound(f"No catalog feature has the key {key!r}.")
        deps = _known(catalog, dependencies)
        _refuse_cycle(catalog, feature.key, deps)
        try:
            name = validation.clean_text(
                name, field="name", label="Name", max_length=100
            )
        except DomainError as e:
            raise ValidationFailed({"name": [e.message]}) from None
        before = _feature_snapshot(feature, catalog)
        feature.name = name
        feature.description = str(description or "").strip()
        feature.is_active = bool(is_active)
        feature.updated_at = timezone.now()
        try:
            with transaction.atomic():
                feature.save()
        except IntegrityError:
            raise ValidationFailed(
                {"name": ["Another catalog feature has this name."]}
            ) from None
        feature.dependencies.set([catalog.features[d] for d in deps])
        catalog.requires[feature.key] = deps
        after = _feature_snapshot(feature, catalog)
        if after != before:
            record(
                actor=actor,
                action="catalog.feature_updated",
                target_type="feature",
                target_id=feature.key,
                target_label=feature.name,
                before=before,
                after=after,
            )
    return feature


def entitlements_of(partner: Partner) -> tuple[bool, set[str]]:
    """(restricted, grantable keys) for a partner."""
    entitlements = EntitlementSet.objects.filter(partner=partner).first()
    return bool(entitlements and entitlements.restricted), grantable_keys(partner)


def set_entitlements(
    *, actor: Actor, partner: Partner, features: Iterable[str] | None
) -> EntitlementSet:
    """Narrow what a partner may grant to `features`, or (None) allow the catalog."""
    actor.require("catalog.manage")
    catalog = load_catalog()
    with transaction.atomic():
        entitlements, _ = EntitlementSet.objects.select_for_update().get_or_create(
            partner=partner
        )
        before_keys = grantable_keys(partner)
        before = {
            "restricted": entitlements.restricted,
            "features": sorted(before_keys),
        }
        if features is None:
            entitlements.restricted = False
            entitlements.features.clear()
        else:
            keys = _known(catalog, features)
            missing = catalog.missing_dependencies(keys)
            if missing:
                raise ValidationFailed(
                    {
                        "features": [
                            f"Features that need {catalog.names(missing)} are "
                            "included: include it too."
                        ]
                    }
                )
            entitlements.restricted = True
            entitlements.features.set([catalog.features[k] for k in keys])
        entitlements.updated_at = timezone.now()
        entitlements.save()
        after = {
            "restricted": entitlements.restricted,
            "features": sorted(grantable_keys(partner)),
        }
        if after != before:
            record(
                actor=actor,
                action="partner.entitlements_changed",
                target=partner,
                target_type="partner",
                target_id=partner.slug,
                partner=partner,
                before=before,
                after=after,
            )
    return entitlements
