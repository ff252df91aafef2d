"""The portal's emails, delivered through the onboarding outbox.

The outbox renders each kind from a template and a context function; the portal
registers its own two kinds here when the app loads.
"""

from django.conf import settings
from django.urls import reverse

from csrtool.onboarding import emails, links
from csrtool.onboarding.models import EmailKind, OutboundEmail


def reset_url(token: str) -> str:
    """Built from CSRTOOL_BASE_URL, never from a request's Host header."""
    return settings.BASE_URL + reverse("portal-reset-link", kwargs={"token": token})


def confirm_email_url(token: str) -> str:
    return settings.BASE_URL + reverse("portal-confirm-email", kwargs={"token": token})


def _link_context(email: OutboundEmail, url_for) -> dict:
    if not (email.link_id and email.link_seed):
        return {}
    subscriber = email.subscriber
    return {
        "link_url": url_for(links.token_from_seed(email.link_seed)),
        "expires_at": subscriber.local_datetime(email.link.expires_at),
        "time_zone": subscriber.time_zone,
    }


def password_reset_context(email: OutboundEmail) -> dict:
    return _link_context(email, reset_url)


def email_change_context(email: OutboundEmail) -> dict:
    return _link_context(email, confirm_email_url)


def register() -> None:
    emails.TEMPLATES.setdefault(
        EmailKind.PASSWORD_RESET, "portal/emails/password_reset"
    )
    emails.TEMPLATES.setdefault(EmailKind.EMAIL_CHANGE, "portal/emails/email_change")
    emails.CONTEXTS.setdefault(EmailKind.PASSWORD_RESET, password_reset_context)
    emails.CONTEXTS.setdefault(EmailKind.EMAIL_CHANGE, email_change_context)
