from django import template

from csrtool.onboarding.models import EmailLink, LinkPurpose, OutboundEmail

register = template.Library()

PANEL_EMAILS = 20


@register.inclusion_tag("onboarding/subscriber_panel.html", takes_context=True)
def onboarding_panel(context, subscriber):
    """The onboarding section of the CSR's subscriber page: emails and the link."""
    actor = context.get("actor")
    emails = list(
        OutboundEmail.objects.for_actor(actor)
        .filter(subscriber=subscriber)
        .newest_first()[:PANEL_EMAILS]
    )
    link = None
    if subscriber.status == "pending_activation":
        link = (
            EmailLink.objects.for_actor(actor)
            .filter(subscriber=subscriber, purpose=LinkPurpose.WELCOME)
            .order_by("-created_at", "-id")
            .first()
        )
    return {
        "subscriber": subscriber,
        "actor": actor,
        "can": context.get("can"),
        "emails": emails,
        "link": link,
        "link_state": link.state() if link else "",
        "zone": subscriber.time_zone,
        "csrf_token": context.get("csrf_token"),
    }
