"""A partner's email templates: read, save, reset, preview, send a test.

Partner admins of the partner (and the platform operator) only: every function
takes the partner's slug and resolves it through the actor, so another
partner's slug answers like an unknown one.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from csrtool import throttle
from csrtool.audit.services import record
from csrtool.errors import Conflict, DomainError
from csrtool.hosts import customer_base_url
from csrtool.onboarding import emails
from csrtool.onboarding.email_templates.rules import (
    DEFAULT_LANGUAGE,
    RULES,
    Parts,
    built_in,
    check,
    clean_kind,
    clean_language,
)
from csrtool.onboarding.models import EmailKind, EmailTemplate, OutboundEmail
from csrtool.onboarding.services import TooManyRequests
from csrtool.onboarding.tasks import deliver_email
from csrtool.partners import services as partner_services
from csrtool.partners.access import Actor
from csrtool.partners.models import Partner
from csrtool.timezones import format_local_datetime

SAMPLE_LINKS = {
    EmailKind.WELCOME: "onboarding-start",
    EmailKind.PASSWORD_RESET: "portal-reset-link",
    EmailKind.EMAIL_CHANGE: "portal-confirm-email",
}


@dataclass(frozen=True)
class TemplateState:
    """One kind of email of a partner, as the doors show it."""

    partner: Partner
    kind: str
    parts: Parts
    updated_at: datetime | None = None
    updated_by: str = ""

    @property
    def language(self) -> str:
        return self.parts.language

    @property
    def custom(self) -> bool:
        return not self.parts.built_in

    @property
    def label(self) -> str:
        return EmailKind(self.kind).label

    @property
    def rules(self):
        return RULES[self.kind]


def _partner(actor: Actor, slug: str) -> Partner:
    actor.require("partner.settings")
    return partner_services.get_partner(actor=actor, slug=slug)


def _scope(actor: Actor, slug: str, kind, language) -> tuple[Partner, str, str]:
    """The partner (the actor's to manage), the kind and the language named."""
    return _partner(actor, slug), clean_kind(kind), clean_language(language)


def _state(partner, kind, language, row: EmailTemplate | None) -> TemplateState:
    if row is None:
        return TemplateState(partner=partner, kind=kind, parts=built_in(kind, language))
    return TemplateState(
        partner=partner,
        kind=kind,
        parts=Parts(
            subject=row.subject,
            text=row.text,
            html=row.html,
            language=row.language,
            built_in=False,
        ),
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def list_templates(
    *, actor: Actor, slug: str, language: str = DEFAULT_LANGUAGE
) -> list[TemplateState]:
    """Every kind of subscriber email of the partner, its own or built-in."""
    partner = _partner(actor, slug)
    language = clean_language(language)
    rows = {
        row.kind: row
        for row in EmailTemplate.objects.for_partner(partner).filter(language=language)
    }
    return [
        _state(partner, kind, language, rows.get(kind)) for kind in EmailKind.values
    ]


def get_template(
    *, actor: Actor, slug: str, kind: str, language: str = DEFAULT_LANGUAGE
) -> TemplateState:
    partner, kind, language = _scope(actor, slug, kind, language)
    row = EmailTemplate.objects.for_partner(partner).of(kind, language).first()
    return _state(partner, kind, language, row)


def _audit_target(kind: str, language: str) -> dict:
    return {
        "target_type": "email_template",
        "target_id": f"{kind}:{language}",
        "target_label": f"{EmailKind(kind).label} email ({language})",
    }


def _snapshot(parts: Parts) -> dict:
    return {**parts.as_dict(), "built_in": parts.built_in}


def save_template(
    *,
    actor: Actor,
    slug: str,
    kind: str,
    subject: str,
    text: str,
    html: str,
    language: str = DEFAULT_LANGUAGE,
) -> tuple[TemplateState, bool]:
    """The partner's own subject, plain text and HTML for `kind`, checked (see
    rules.check) and saved; and whether the HTML's sanitiser removed or tidied
    markup. Audited with the wording before and after."""
    partner, kind, language = _scope(actor, slug, kind, language)
    parts, sanitised = check(
        kind, subject=subject, text=text, html=html, language=language
    )
    with transaction.atomic():
        row = (
            EmailTemplate.objects.for_partner(partner)
            .of(kind, language)
            .select_for_update()
            .first()
        )
        before = _state(partner, kind, language, row).parts
        if row is not None and before.as_dict() == parts.as_dict():
            return _state(partner, kind, language, row), sanitised
        if row is None:
            row = EmailTemplate(partner=partner, kind=kind, language=language)
        row.subject, row.text, row.html = parts.subject, parts.text, parts.html
        row.updated_at = timezone.now()
        row.updated_by = actor.label[:300]
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            # Another admin saved this email's first template at the same moment.
            raise Conflict(
                "Someone else saved this email at the same moment. Load it again "
                "and make your change once more.",
                code="saved_meanwhile",
            ) from None
        record(
            actor=actor,
            action="email_template.saved",
            partner=partner,
            before=_snapshot(before),
            after=_snapshot(parts),
            **_audit_target(kind, language),
        )
    return _state(partner, kind, language, row), sanitised


def reset_template(
    *, actor: Actor, slug: str, kind: str, language: str = DEFAULT_LANGUAGE
) -> TemplateState:
    """Back to the built-in email: the partner's own template is removed
    (nothing happens when it has none). Audited with both wordings."""
    partner, kind, language = _scope(actor, slug, kind, language)
    with transaction.atomic():
        row = (
            EmailTemplate.objects.for_partner(partner)
            .of(kind, language)
            .select_for_update()
            .first()
        )
        if row is not None:
            before = _state(partner, kind, language, row).parts
            row.delete()
            record(
                actor=actor,
                action="email_template.reset",
                partner=partner,
                before=_snapshot(before),
                after=_snapshot(built_in(kind, language)),
                **_audit_target(kind, language),
            )
    return _state(partner, kind, language, None)


def sample_values(partner: Partner, kind: str, *, now=None) -> dict:
    """Placeholder values of a sample customer, for previews and tests. The
    link leads to the partner's customer pages, where it is unknown."""
    now = now or timezone.now()
    zone = partner.time_zone
    values = {
        "first_name": "Alex",
        "last_name": "Sample",
        "login_id": "alex.sample@customer.example",
        "product_name": partner.product_name,
        "sender_name": partner.display_sender_name,
        "support_email": partner.support_email,
        "support_phone": partner.support_phone,
        "brand_colour": partner.brand_primary or emails.DEFAULT_BRAND_COLOUR,
        "expires_at": format_local_datetime(
            now + timedelta(hours=partner.link_expiry_hours), zone
        ),
        "time_zone": zone,
        "old_email": "alex.sample@customer.example",
        "new_email": "alex.new@customer.example",
        "changed_at": format_local_datetime(now, zone),
        "link": "",
    }
    if kind in SAMPLE_LINKS:
        values["link"] = customer_base_url(partner) + reverse(
            SAMPLE_LINKS[kind], kwargs={"token": "sample-link"}
        )
    return values


def _wording(partner, kind, language, draft: dict | None) -> Parts:
    """A draft checked as saving it would check it, else what is saved."""
    if draft is None:
        return emails.template_for(partner, kind, language)
    parts, _ = check(kind, language=language, **draft)
    return parts


def preview(
    *,
    actor: Actor,
    slug: str,
    kind: str,
    language: str = DEFAULT_LANGUAGE,
    draft: dict | None = None,
) -> dict:
    """The subject, plain text and HTML a sample customer would receive, with
    `draft` (subject, text, html) as typed or the wording saved. Nothing is
    saved or sent."""
    partner, kind, language = _scope(actor, slug, kind, language)
    parts = _wording(partner, kind, language, draft)
    # The product's frame (support line, footer links) in the same language.
    with translation.override(language):
        return emails.render_parts(kind, parts, sample_values(partner, kind), partner)


def send_test(
    *,
    actor: Actor,
    slug: str,
    kind: str,
    language: str = DEFAULT_LANGUAGE,
    draft: dict | None = None,
) -> OutboundEmail:
    """Email the acting member of staff, at their own address, the email with
    sample values: `draft` as typed, or the wording saved. It goes through the
    outbox like every email, under the partner's sender."""
    partner, kind, language = _scope(actor, slug, kind, language)
    if actor.user is None:
        raise DomainError(
            "A test goes to your own email address, and this key or command has "
            "none: send it from the page, or with --as EMAIL on the command line.",
            code="no_own_address",
        )
    parts = _wording(partner, kind, language, draft)
    if not throttle.allow(throttle.EMAIL_TEMPLATE_TEST, str(actor.user.pk)):
        raise TooManyRequests(
            f"You have sent {throttle.EMAIL_TEMPLATE_TEST.limit} tests in the last "
            "hour; wait a while before the next."
        )
    values = sample_values(partner, kind)
    with transaction.atomic():
        email = OutboundEmail.objects.create(
            partner=partner,
            subscriber=None,
            sample=True,
            kind=kind,
            recipient=actor.user.email,
            subject=emails.subject_line(kind, parts, values),
            message_id=emails.new_message_id(partner),
            context={
                "language": language,
                "template": None if parts.built_in else parts.as_dict(),
                "values": values,
            },
            created_by=actor.label[:300],
        )
        deliver_email.enqueue(email.pk)
        record(
            actor=actor,
            action="email_template.test_sent",
            partner=partner,
            after={
                "recipient": email.recipient,
                "wording": "as typed"
                if draft is not None
                else ("built-in" if parts.built_in else "saved"),
                "subject": email.subject,
            },
            **_audit_target(kind, language),
        )
    return email
