from django import template

register = template.Library()


@register.inclusion_tag("onboarding/subscriber_panel.html", takes_context=True)
def onboarding_panel(context, subscriber):
    """The onboarding section of the CSR's subscriber page."""
    return {
        "subscriber": subscriber,
        "actor": context.get("actor"),
        "can": context.get("can"),
    }
