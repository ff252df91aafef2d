"""A subscriber's features: resolving a change against the catalog, saving it."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from csrtool.audit.services import record
from csrtool.errors import Conflict, NotFound, ValidationFailed
from csrtool.features.catalog import (
    Catalog,
    FeatureState,
    feature_state,
    grantable_keys,
    load_catalog,
)
from csrtool.features.models import (
    Plan,
    Source,
    SubscriberFeature,
    SubscriberPlan,
)
from csrtool.partners.access import Actor
from csrtool.partners.models import Partner
from csrtool.subscribers.models import Status, Subscriber
from csrtool.subscribers.services import get_subscriber


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
