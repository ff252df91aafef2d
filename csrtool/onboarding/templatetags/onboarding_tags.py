from django import template

from csrtool.onboarding.models import (
    EmailKind,
    EmailLink,
    EmailStatus,
    LinkPurpose,
    OutboundEmail,
)
from csrtool.portal.signin_lock import sign_in_locked_until

register = template.Library()

PANEL_EMAILS = 20


@register.inclusion_tag("onboarding/subscriber_panel.html", takes_context=True)
def onboarding_panel(context, subscriber):
    """The onboarding section of the CSR's subscriber page: emails, the welcome
    link and whether portal sign-in is locked."""
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
    # The newest welcome email, when the mail server refused it for good.
    welcome = next((e for e in emails if e.kind == EmailKind.WELCOME), None)
    welcome_failed = (
        welcome if welcome and welcome.status == EmailStatus.FAILED else None
    )
    locked_until = None
    if subscriber.status != "closed":
        locked_until = sign_in_locked_until(actor=actor, subscriber=subscriber)
    return {
        "subscriber": subscriber,
        "sign_in_locked_until": locked_until,
        "actor": actor,
        "can": context.get("can"),
        "emails": emails,
        "welcome_failed": welcome_failed,
        "link": link,
        "link_state": link.state() if link else "",
        "csrf_token": context.get("csrf_token"),
    }
