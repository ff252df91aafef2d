"""Applying a plan or a feature change to many subscribers, previewed first."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from csrtool.errors import DomainError, ValidationFailed
from csrtool.features.catalog import (
    feature_state,
    grantable_keys,
    load_catalog,
)
from csrtool.features.services.subscriber_features import (
    FeatureChange,
    _apply_plan,
    _audit_change,
    _known,
    _open_subscriber,
    _plan_for,
    _write_features,
    resolve_features,
)
from csrtool.partners.access import Actor
from csrtool.subscribers.models import Subscriber

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
