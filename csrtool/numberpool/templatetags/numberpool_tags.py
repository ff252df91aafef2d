from django import template

register = template.Library()


@register.inclusion_tag("numberpool/subscriber_panel.html", takes_context=True)
def numberpool_panel(context, subscriber):
    """The numberpool section of the CSR's subscriber page."""
    return {
        "subscriber": subscriber,
        "actor": context.get("actor"),
        "can": context.get("can"),
    }
