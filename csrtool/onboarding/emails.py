"""The emails subscribers receive: one function per kind, templates side by side.

Each kind has `<template>.subject.txt`, `<template>.txt` and `<template>.html`. The
subject and the plain-text part are rendered by the "text" template engine, which
does not HTML-escape; only the HTML part is.
"""

from datetime import datetime
from email.utils import formataddr, make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from csrtool.hosts import customer_base_url
from csrtool.onboarding import links
from csrtool.onboarding.models import EmailKind, OutboundEmail

TEMPLATES = {
    EmailKind.WELCOME: "onboarding/emails/welcome",
    EmailKind.PASSWORD_RESET: "portal/emails/password_reset",
    EmailKind.EMAIL_CHANGE: "portal/emails/email_change",
    EmailKind.PASSWORD_CHANGED: "portal/emails/password_changed",
    EmailKind.EMAIL_CHANGED: "portal/emails/email_changed",
    EmailKind.PIN_CHANGED: "portal/emails/pin_changed",
    EmailKind.QUESTION_CHANGED: "portal/emails/question_changed",
}


def render_text(template_name: str, context: dict) -> str:
    return render_to_string(template_name, context, using="text")


def new_message_id(partner) -> str:
    domain = (partner.sender_email or settings.DEFAULT_FROM_EMAIL).rpartition("@")[2]
    return make_msgid(domain=domain or urlsplit(settings.BASE_URL).hostname)


def _base_context(subscriber, partner) -> dict:
    return {
        "subscriber": subscriber,
        "partner": partner,
        "product_name": partner.product_name,
        "sender_name": partner.display_sender_name,
        "support_email": partner.support_email,
        "support_phone": partner.support_phone,
        "brand_primary": partner.brand_primary,
        "footer_links": partner.footer_links,
        "login_id": subscriber.email,
    }


def render_subject(kind: str, *, subscriber, partner, context=None) -> str:
    ctx = {**_base_context(subscriber, partner), **(context or {})}
    subject = render_text(f"{TEMPLATES[kind]}.subject.txt", ctx)
    return " ".join(subject.split())


def _link_context(email: OutboundEmail, url_name: str) -> dict:
    """The link an email carries, on the partner's portal host if it has one, else
    on CSRTOOL_BASE_URL (never from a Host header), and its expiry in the
    subscriber's own zone and date format."""
    if not (email.link_id and email.link_seed):
        return {}
    subscriber = email.subscriber
    token = links.token_from_seed(email.link_seed)
    return {
        "link_url": customer_base_url(subscriber.partner)
        + reverse(url_name, kwargs={"token": token}),
        "expires_at": subscriber.local_datetime(email.link.expires_at),
        "time_zone": subscriber.time_zone,
    }


def _changed_context(email: OutboundEmail) -> dict:
    """When a notice's change happened, in the subscriber's own zone and format."""
    subscriber = email.subscriber
    changed_at = email.created_at
    if email.context.get("changed_at"):
        changed_at = datetime.fromisoformat(email.context["changed_at"])
    return {
        "changed_at": subscriber.local_datetime(changed_at),
        "time_zone": subscriber.time_zone,
    }


CONTEXTS = {
    EmailKind.WELCOME: lambda email: _link_context(email, "onboarding-start"),
    EmailKind.PASSWORD_RESET: lambda email: _link_context(email, "portal-reset-link"),
    EmailKind.EMAIL_CHANGE: lambda email: _link_context(email, "portal-confirm-email"),
    EmailKind.PIN_CHANGED: _changed_context,
    EmailKind.QUESTION_CHANGED: _changed_context,
}


def envelope_sender(partner) -> str:
    """Where a mail server returns a partner's undeliverable email (SMTP MAIL FROM,
    seen as Return-Path): the partner's plus-address of EMAIL_BOUNCE_ADDRESS
    (bounces+acme@mail.example) when that is set, else the partner's own sender
    address, else the default sender."""
    if settings.EMAIL_BOUNCE_ADDRESS:
        local, domain = settings.EMAIL_BOUNCE_ADDRESS.split("@")
        return f"{local}+{partner.slug}@{domain}"
    return partner.sender_email or settings.DEFAULT_FROM_EMAIL


def render_sample(kind: str, *, subscriber, partner, context: dict) -> dict:
    """The subject, text and HTML of an email as it would go out, from sample
    values (a preview: nothing is saved or sent)."""
    ctx = {**_base_context(subscriber, partner), **context}
    template = TEMPLATES[kind]
    return {
        "subject": render_subject(
            kind, subscriber=subscriber, partner=partner, context=context
        ),
        "text": render_text(f"{template}.txt", ctx),
        "html": render_to_string(f"{template}.html", ctx),
    }


def build_message(email: OutboundEmail) -> tuple[EmailMultiAlternatives, dict]:
    """The message to send, and its template context (for the demo's console)."""
    partner, subscriber = email.partner, email.subscriber
    ctx = {**_base_context(subscriber, partner), **email.context}
    if email.kind in CONTEXTS:
        ctx.update(CONTEXTS[email.kind](email))
    template = TEMPLATES[email.kind]
    sender = formataddr(
        (
            partner.display_sender_name,
            partner.sender_email or settings.DEFAULT_FROM_EMAIL,
        )
    )
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=render_text(f"{template}.txt", ctx),
        # The envelope sender; the From header is the partner's sender.
        from_email=envelope_sender(partner),
        to=[email.recipient],
        reply_to=[partner.support_email] if partner.support_email else None,
        headers={
            "From": sender,
            "Message-ID": email.message_id,
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string(f"{template}.html", ctx), "text/html")
    return message, ctx
