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


@register.inclusion_tag("numberpool/portal_numbers.html")
def portal_numbers(subscriber):
    """The subscriber's own phone numbers, on their CX Builder account page."""
    return {"subscriber": subscriber}
