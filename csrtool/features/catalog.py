"""Reading the catalog's dependency graph and a subscriber's features."""

from dataclasses import dataclass, field

from csrtool.features.models import (
    Feature,
    Plan,
    Source,
    SubscriberFeature,
    SubscriberPlan,
)
from csrtool.subscribers.models import Subscriber


@dataclass
class Catalog:
    """Every catalog feature by key, with its direct dependencies."""

    features: dict[str, Feature]
    requires: dict[str, set[str]]

    def ordered(self, keys) -> list[Feature]:
        return sorted(
            (self.features[k] for k in keys if k in self.features),
            key=lambda f: (f.position, f.name),
        )

    def names(self, keys) -> str:
        """ "A, B and C", in catalog order."""
        names = [f.name for f in self.ordered(keys)]
        if len(names) <= 1:
            return "".join(names)
        return f"{', '.join(names[:-1])} and {names[-1]}"

    def dependencies_of(self, keys) -> set[str]:
        """Everything the given features need, directly or through others."""
        seen: set[str] = set()
        todo = [d for k in keys for d in self.requires.get(k, ())]
        while todo:
            key = todo.pop()
            if key not in seen:
                seen.add(key)
                todo.extend(self.requires.get(key, ()))
        return seen

    def dependents_of(self, keys) -> set[str]:
        """Every feature that needs one of the given features, directly or not."""
        keys = set(keys)
        return {k for k in self.features if self.dependencies_of([k]) & keys}

    def missing_dependencies(self, keys) -> set[str]:
        return self.dependencies_of(keys) - set(keys)


def load_catalog() -> Catalog:
    features = {f.key: f for f in Feature.objects.all()}
    by_id = {f.pk: f.key for f in features.values()}
    requires: dict[str, set[str]] = {key: set() for key in features}
    links = Feature.dependencies.through.objects.values_list(
        "from_feature_id", "to_feature_id"
    )
    for from_id, to_id in links:
        requires[by_id[from_id]].add(by_id[to_id])
    return Catalog(features=features, requires=requires)


def grantable_keys(partner) -> set[str]:
    return set(Feature.objects.grantable_by(partner).values_list("key", flat=True))


@dataclass
class FeatureState:
    """What a subscriber has: its plan, and each feature's source."""

    subscriber: Subscriber
    plan: Plan | None
    plan_keys: set[str]
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def enabled(self) -> set[str]:
        return {k for k, s in self.sources.items() if s != Source.REMOVED}

    @property
    def plan_name(self) -> str | None:
        return self.plan.name if self.plan else None

    def snapshot(self) -> dict:
        return {"plan": self.plan_name, "features": sorted(self.enabled)}


def feature_state(subscriber: Subscriber) -> FeatureState:
    applied = (
        SubscriberPlan.objects.filter(subscriber=subscriber)
        .select_related("plan")
        .first()
    )
    plan = applied.plan if applied else None
    plan_keys = set(plan.features.values_list("key", flat=True)) if plan else set()
    sources = dict(
        SubscriberFeature.objects.filter(subscriber=subscriber).values_list(
            "feature__key", "source"
        )
    )
    return FeatureState(
        subscriber=subscriber, plan=plan, plan_keys=plan_keys, sources=sources
    )
