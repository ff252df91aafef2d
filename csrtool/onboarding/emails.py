"""The emails subscribers receive: each kind's wording (the partner's own
template, else the built-in one: csrtool/onboarding/email_templates) inside the
product's frame (`onboarding/emails/frame.*`: sender line, support contact,
footer links).

The wording is never a Django template: its placeholders are filled in by
`email_templates.language`, HTML-escaped in the HTML part only. The frame is
rendered by the "text" template engine for the plain-text part (no HTML
escaping) and by the HTML one for the HTML part.
"""

from datetime import datetime
from email.utils import formataddr, make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe

from csrtool.hosts import customer_base_url
from csrtool.onboarding import links
from csrtool.onboarding.email_templates import language as placeholders
from csrtool.onboarding.email_templates.rules import (
    DEFAULT_LANGUAGE,
    RULES,
    Parts,
    built_in,
    clean_html,
)
from csrtool.onboarding.models import EmailKind, EmailTemplate, OutboundEmail

# Where the product's own blue shows when a partner has set no colour.
DEFAULT_BRAND_COLOUR = "#1f4e9c"
SUBJECT_MAX = 300


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


def template_for(partner, kind: str, language: str = DEFAULT_LANGUAGE) -> Parts:
    """The wording `partner`'s subscribers get for `kind`: its own template in
    `language`, else the built-in one."""
    own = EmailTemplate.objects.for_partner(partner).of(kind, language).first()
    if own is None:
        return built_in(kind, language)
    return Parts(
        subject=own.subject,
        text=own.text,
        html=own.html,
        language=own.language,
        built_in=False,
    )


def placeholder_values(ctx: dict) -> dict:
    """The value of every placeholder, from an email's template context."""
    subscriber = ctx.get("subscriber")
    return {
        "first_name": getattr(subscriber, "first_name", ""),
        "last_name": getattr(subscriber, "last_name", ""),
        "login_id": ctx.get("login_id", ""),
        "product_name": ctx.get("product_name", ""),
        "sender_name": ctx.get("sender_name", ""),
        "support_email": ctx.get("support_email", ""),
        "support_phone": ctx.get("support_phone", ""),
        "brand_colour": ctx.get("brand_primary") or DEFAULT_BRAND_COLOUR,
        "link": ctx.get("link_url", ""),
        "expires_at": ctx.get("expires_at", ""),
        "time_zone": ctx.get("time_zone", ""),
        "old_email": ctx.get("old_email", ""),
        "new_email": ctx.get("new_email", ""),
        "changed_at": ctx.get("changed_at", ""),
    }


def subject_line(kind: str, parts: Parts, values: dict) -> str:
    """The subject: one line of text, whatever the values hold."""
    allowed = {k: values.get(k, "") for k in RULES[kind].subject_placeholders}
    subject = placeholders.render(parts.subject, allowed)
    return " ".join(subject.split())[:SUBJECT_MAX]


def logo_url(partner) -> str:
    """The partner's logo where its customers' mail clients fetch it (its portal
    host, else CSRTOOL_BASE_URL); empty without a logo."""
    logo = partner.logo
    return customer_base_url(partner) + logo.path if logo else ""


def render_parts(
    kind: str, parts: Parts, values: dict, partner, *, logo: str | None = None
) -> dict:
    """The subject, plain text and HTML of `kind` in `parts`' wording, with these
    placeholder values, inside the product's frame (headed by the partner's logo:
    `logo` gives another address for it). A partner's HTML is sanitised again
    once filled in, so that no value can bring markup or a javascript: address
    along."""
    allowed = {k: values.get(k, "") for k in RULES[kind].placeholders}
    subject = subject_line(kind, parts, values)
    html_body = placeholders.render(parts.html, allowed, html=True)
    if not parts.built_in:
        html_body = clean_html(html_body)
    frame = {
        "product_name": partner.product_name,
        "sender_name": partner.display_sender_name,
        "support_email": partner.support_email,
        "support_phone": partner.support_phone,
        "footer_links": partner.footer_links,
        "language": parts.language,
        "logo_url": logo_url(partner) if logo is None else logo,
    }
    title = placeholders.render(parts.title, allowed) if parts.title else subject
    return {
        "subject": subject,
        "text": render_text(
            "onboarding/emails/frame.txt",
            {**frame, "body": placeholders.render(parts.text, allowed)},
        ),
        "html": render_to_string(
            "onboarding/emails/frame.html",
            {**frame, "title": title, "body": mark_safe(html_body)},  # noqa: S308
        ),
    }


def subscriber_language(subscriber) -> str:
    """The language `subscriber`'s emails come in (a language no longer offered
    falls back to the default)."""
    language = getattr(subscriber, "language", "") or DEFAULT_LANGUAGE
    return language if language in dict(settings.LANGUAGES) else DEFAULT_LANGUAGE


def render_subject(kind: str, *, subscriber, partner, context=None) -> str:
    ctx = {**_base_context(subscriber, partner), **(context or {})}
    parts = template_for(partner, kind, subscriber_language(subscriber))
    return subject_line(kind, parts, placeholder_values(ctx))


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


def render_sample(
    kind: str, *, subscriber, partner, context: dict, logo: str | None = None
) -> dict:
    """The subject, text and HTML of an email as it would go out, from sample
    values (a preview: nothing is saved or sent)."""
    ctx = {**_base_context(subscriber, partner), **context}
    language = subscriber_language(subscriber)
    with translation.override(language):
        return render_parts(
            kind,
            template_for(partner, kind, language),
            placeholder_values(ctx),
            partner,
            logo=logo,
        )


def _sample_parts(email: OutboundEmail) -> Parts:
    """The wording a partner admin's test was sent with: the built-in one, or
    the template they were trying (checked when the test was queued)."""
    tried = email.context.get("template")
    language = email.context.get("language", DEFAULT_LANGUAGE)
    if not tried:
        return built_in(email.kind, language)
    return Parts(
        subject=tried["subject"],
        text=tried["text"],
        html=tried["html"],
        language=language,
        built_in=False,
    )


def build_message(email: OutboundEmail) -> tuple[EmailMultiAlternatives, dict]:
    """The message to send, and its template context (for the demo's console)."""
    partner = email.partner
    if email.sample:
        values = email.context["values"]
        parts = _sample_parts(email)
        with translation.override(parts.language):
            rendered = render_parts(email.kind, parts, values, partner)
        ctx = {"link_url": values.get("link", "")}
    else:
        language = subscriber_language(email.subscriber)
        ctx = {**_base_context(email.subscriber, partner), **email.context}
        with translation.override(language):
            if email.kind in CONTEXTS:
                ctx.update(CONTEXTS[email.kind](email))
            rendered = render_parts(
                email.kind,
                template_for(partner, email.kind, language),
                placeholder_values(ctx),
                partner,
            )
    sender = formataddr(
        (
            partner.display_sender_name,
            partner.sender_email or settings.DEFAULT_FROM_EMAIL,
        )
    )
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=rendered["text"],
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
    message.attach_alternative(rendered["html"], "text/html")
    return message, ctx
