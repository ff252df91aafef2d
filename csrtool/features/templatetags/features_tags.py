from django import template

register = template.Library()


@register.inclusion_tag("features/subscriber_panel.html", takes_context=True)
def features_panel(context, subscriber):
    """The features section of the CSR's subscriber page."""
    return {
        "subscriber": subscriber,
        "actor": context.get("actor"),
        "can": context.get("can"),
    }


@register.inclusion_tag("features/readiness_badge.html")
def readiness_badge(subscriber):
    """The compact onboarding-progress indicator shown wherever a subscriber shows."""
    return {"subscriber": subscriber}


@register.inclusion_tag("features/portal_features.html")
def portal_features(subscriber):
    """The subscriber's enabled features, on their CX Builder account page."""
    return {"subscriber": subscriber}
