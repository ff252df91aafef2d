"""The catalog and entitlements: the platform operator's."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from csrtool import validation
from csrtool.audit.services import record
from csrtool.errors import DomainError, NotFound, ValidationFailed
from csrtool.features.catalog import (
    Catalog,
    grantable_keys,
    load_catalog,
)
from csrtool.features.models import (
    EntitlementSet,
    Feature,
)
from csrtool.features.services.subscriber_features import (
    _known,
)
from csrtool.partners.access import Actor
from csrtool.partners.models import Partner


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
