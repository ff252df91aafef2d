from django import template

from csrtool.features.catalog import feature_state, grantable_keys, load_catalog
from csrtool.features.models import Feature, Plan, Source, SubscriberFeature
from csrtool.features.readiness import readiness_of, step_url

register = template.Library()

_SOURCE_LABELS = {Source.PLAN: "from the plan", Source.ADDED: "added individually"}


@register.inclusion_tag("features/subscriber_panel.html", takes_context=True)
def features_panel(context, subscriber):
    """The features section of the CSR's subscriber page."""
    state = feature_state(subscriber)
    catalog = load_catalog()
    labels = dict(_SOURCE_LABELS)
    if not state.plan:
        labels[Source.ADDED] = "enabled individually"
    return {
        "subscriber": subscriber,
        "state": state,
        "enabled": [
            {"name": f.name, "source": labels[state.sources[f.key]]}
            for f in catalog.ordered(state.enabled)
        ],
        "removed": [
            f.name
            for f in catalog.ordered(
                k for k, s in state.sources.items() if s == Source.REMOVED
            )
        ],
        "features_url": step_url("features", subscriber),
        "actor": context.get("actor"),
        "can": context.get("can") or (),
        **_in_place(context, subscriber, state, catalog),
    }


def _in_place(context, subscriber, state, catalog) -> dict:
    """The subscriber page's own plan and feature form (changes go through the
    features page's view and come back here)."""
    can = context.get("can") or ()
    if "features.change" not in can or subscriber.status == "closed":
        return {"items": None}
    keys = grantable_keys(subscriber.partner) | state.enabled
    return {
        "items": [
            {
                "key": f.key,
                "name": f.name,
                "description": f.description,
                "checked": f.key in state.enabled,
                "needs": catalog.names(catalog.requires.get(f.key, ())),
            }
            for f in catalog.ordered(keys)
        ],
        "plans": list(
            Plan.objects.for_partner(subscriber.partner).prefetch_related("features")
        ),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("features/readiness_badge.html")
def readiness_badge(subscriber):
    """The compact onboarding-progress indicator shown wherever a subscriber shows.

    List pages annotate their subscribers (`annotate_readiness(queryset)`),
    so the badge costs no query there.
    """
    return {"readiness": readiness_of(subscriber)}


@register.inclusion_tag("features/portal_features.html")
def portal_features(subscriber):
    """The subscriber's enabled features, on their CX Builder account page.

    Features not enabled are simply absent.
    """
    keys = SubscriberFeature.objects.filter(subscriber=subscriber).enabled()
    features = Feature.objects.filter(pk__in=keys.values("feature_id")).in_order()
    return {"subscriber": subscriber, "features": list(features)}
