"""Every write to features: subscribers' features, bulk changes, plans, catalog.

Each is a typed keyword-only function taking the actor, one transaction, audited.
"""

from csrtool.features.services.bulk import (
    BULK_LIMIT,
    BulkRow,
    apply_bulk_change,
    preview_bulk_change,
)
from csrtool.features.services.catalog import (
    entitlements_of,
    set_entitlements,
    update_feature,
)
from csrtool.features.services.plans import (
    PLAN_NAME_TAKEN,
    create_plan,
    delete_plan,
    get_plan,
    update_plan,
)
from csrtool.features.services.subscriber_features import (
    DependencyConflict,
    FeatureChange,
    apply_plan,
    change_features,
    resolve_features,
)

__all__ = [
    "BULK_LIMIT",
    "PLAN_NAME_TAKEN",
    "BulkRow",
    "DependencyConflict",
    "FeatureChange",
    "apply_bulk_change",
    "apply_plan",
    "change_features",
    "create_plan",
    "delete_plan",
    "entitlements_of",
    "get_plan",
    "preview_bulk_change",
    "resolve_features",
    "set_entitlements",
    "update_feature",
    "update_plan",
]
