"""The live preview on a partner's settings page: the welcome page and the welcome
email as a customer will see them, with the settings as typed (not yet saved).

Each value typed is checked as saving it would check it; one that would be
refused is left out and the saved value shown. Nothing is written or sent. The
previews are framed by the settings page only (same origin), and the email's
inline styles are allowed in its frame alone.
"""

import copy
from datetime import timedelta
from urllib.parse import urlencode

from csp.decorators import csp_replace
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from csrtool.errors import DomainError, NotFound
from csrtool.onboarding import emails
from csrtool.onboarding.forms import OnboardingForm
from csrtool.onboarding.models import EmailKind
from csrtool.partners import services as partner_services
from csrtool.partners.access import staff_required
from csrtool.subscribers.models import Subscriber

# The settings a customer sees, which the preview follows as they are typed.
PREVIEWED = (
    "product_name",
    "sender_name",
    "support_email",
    "support_phone",
    "brand_primary",
    "brand_accent",
    "terms_url",
    "privacy_url",
    "support_url",
    "default_language",
)
FRAMED_BY_SETTINGS = {"frame-ancestors": ["'self'"]}


def _previewed_partner(request):
    """The partner (a partner admin's own; the operator's ?partner=) with the
    typed values that would be accepted, as an unsaved copy."""
    try:
        partner = partner_services.get_partner(
            actor=request.actor,
            slug=request.GET.get("partner")
            or getattr(request.actor.partner, "slug", ""),
        )
    except NotFound:
        raise Http404 from None
    partner = copy.copy(partner)
    for field in PREVIEWED:
        if field not in request.GET:
            continue
        try:
            cleaned = partner_services.clean_settings(request.GET, [field])
        except DomainError:
            continue  # refused when saved: the saved value stays in the preview
        setattr(partner, field, cleaned[field])
    return partner


def _sample_subscriber(partner) -> Subscriber:
    return Subscriber(
        partner=partner,
        public_id="00000000-00-00000000000-00000000-000",
        first_name="Alex",
        last_name="Sample",
        email="alex.sample@customer.example",
        email_canonical="alex.sample@customer.example",
        phone="",
        time_zone=partner.time_zone,
        language=partner.default_language,
        billing_id="SAMPLE-1",
    )


def _brand_css_url(partner) -> str:
    colours = {
        name: getattr(partner, name)
        for name in ("brand_primary", "brand_accent")
        if getattr(partner, name)
    }
    if not colours:
        return ""
    return reverse("settings-preview-brand-css") + "?" + urlencode(colours)


@require_GET
@staff_required("partner.settings")
@xframe_options_sameorigin
@csp_replace(FRAMED_BY_SETTINGS)
def welcome_page(request):
    partner = _previewed_partner(request)
    subscriber = _sample_subscriber(partner)
    expires = timezone.now() + timedelta(hours=partner.link_expiry_hours)
    # In the language the partner's new customers get.
    with translation.override(subscriber.language):
        return render(
            request,
            "onboarding/start.html",
            {
                "form": OnboardingForm(),
                "subscriber": subscriber,
                "partner": partner,
                "expires_at": subscriber.local_datetime(expires),
                "brand_css_url": _brand_css_url(partner),
                "preview": True,
            },
        )


@require_GET
@staff_required("partner.settings")
@xframe_options_sameorigin
@csp_replace({**FRAMED_BY_SETTINGS, "style-src": ["'self'", "'unsafe-inline'"]})
def welcome_email(request):
    partner = _previewed_partner(request)
    subscriber = _sample_subscriber(partner)
    expires = timezone.now() + timedelta(hours=partner.link_expiry_hours)
    sample = emails.render_sample(
        EmailKind.WELCOME,
        subscriber=subscriber,
        partner=partner,
        context={
            "link_url": "https://example.invalid/welcome/sample-link/",
            "expires_at": subscriber.local_datetime(expires),
            "time_zone": subscriber.time_zone,
        },
        # On this host: the frame may show images of its own origin only.
        logo=partner.logo.path if partner.logo else "",
    )
    return HttpResponse(sample["html"], content_type="text/html; charset=utf-8")


@require_GET
@staff_required("partner.settings")
def brand_css(request):
    """The typed colours as the brand stylesheet, each checked as when saved."""
    properties = []
    for field, variable in (
        ("brand_primary", "--brand"),
        ("brand_accent", "--brand-dark"),
    ):
        try:
            colour = partner_services.clean_settings(request.GET, [field])[field]
        except DomainError:
            continue
        if colour:
            properties.append(f"{variable}: {colour};")
    return HttpResponse(
        ":root { " + " ".join(properties) + " }\n",
        content_type="text/css; charset=utf-8",
    )
