"""Single sign-on pages: off to the partner's provider and back, signing out
there too, and the partner's single sign-on settings.

Authlib runs the protocol: the authorization request carries state, a nonce
and a PKCE challenge (S256), kept in the session under the partner's name; the
callback checks state, swaps the code (with the verifier) and verifies the ID
token's signature (the provider's published keys), issuer, audience, nonce and
expiry (within SSO_CLOCK_SKEW_SECONDS).
"""

import time
from urllib.parse import urlencode

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from joserfc.errors import JoseError

from csrtool.audit.services import record
from csrtool.console import apply_errors
from csrtool.errors import DomainError, NotFound
from csrtool.partners import services, single_sign_on
from csrtool.partners.access import staff_required
from csrtool.partners.models import PartnerSingleSignOn
from csrtool.partners.second_factor_views import (
    PASSED_AT,
    SSO_SIGNED_IN,
    fresh_second_factor,
    safe_next,
)

PENDING = "staff_sso_pending"
# Set in a session signed in at the partner's provider: the partner's pk, and
# the ID token (for the provider's sign-out).
SIGNED_IN = SSO_SIGNED_IN
ID_TOKEN = "staff_sso_id_token"  # noqa: S105 (a session key)
PENDING_SECONDS = 10 * 60
TIMEOUT_SECONDS = 10


def _client(sso: PartnerSingleSignOn) -> DjangoOAuth2App:
    name = f"sso-{sso.partner_id}"
    return DjangoOAuth2App(
        DjangoIntegration(name),
        name=name,
        client_id=sso.client_id,
        client_secret=sso.client_secret,
        server_metadata_url=sso.discovery_url,
        client_kwargs={
            "scope": single_sign_on.SCOPES,
            "code_challenge_method": "S256",
            "default_timeout": TIMEOUT_SECONDS,
        },
    )


def _checked_client(sso: PartnerSingleSignOn) -> DjangoOAuth2App:
    """The client, once the provider's discovery names the issuer configured
    (OpenID Connect Discovery 1.0, 4.3)."""
    client = _client(sso)
    issuer = client.load_server_metadata().get("issuer")
    if issuer != sso.issuer:
        raise ValueError(f"The provider's discovery names another issuer: {issuer}")
    return client


def _claims_options(sso: PartnerSingleSignOn) -> dict:
    # Authlib checks the nonce, expiry and the authorized party itself; the
    # issuer and audience only when told what they must be.
    return {
        "iss": {"essential": True, "values": [sso.issuer]},
        "aud": {"essential": True, "values": [sso.client_id]},
    }


def callback_url(request) -> str:
    return request.build_absolute_uri(reverse("login-sso-callback"))


def begin(request, sso: PartnerSingleSignOn, *, next_url: str, step_up=False):
    """Off to the partner's provider; `step_up` asks it to sign the member in
    again (prompt=login, max_age=0), whatever session it has."""
    request.session[PENDING] = {
        "partner": sso.partner_id,
        "next": next_url,
        "at": int(time.time()),
        "step_up": step_up,
    }
    extra = {"prompt": "login", "max_age": 0} if step_up else {}
    try:
        response = _checked_client(sso).authorize_redirect(
            request, callback_url(request), **extra
        )
    except (AuthlibBaseError, requests.RequestException, ValueError, KeyError) as e:
        return _failed(request, sso, f"The provider could not be reached ({e}).")
    request.session[PENDING]["url"] = response["Location"]
    request.session.modified = True
    return redirect("login-sso-continue")


def continue_to_provider(request):
    """The way to the provider, as a page: browsers refuse to follow a form's
    redirect to another site (CSP form-action 'self'), not a page's link."""
    pending = request.session.get(PENDING) or {}
    if not pending.get("url"):
        return redirect("login")
    return render(request, "registration/sso_continue.html", {"url": pending["url"]})


def _failed(request, sso, reason: str):
    from csrtool.partners.single_sign_on import _anonymous

    request.session.pop(PENDING, None)
    record(
        actor=_anonymous(request.META.get("REMOTE_ADDR"), _request_id(request)),
        action="staff.sso_failed",
        partner=sso.partner if sso else None,
        outcome="failure",
        reason=reason[:500],
    )
    messages.error(
        request,
        "Single sign-on did not complete. Try again; if it keeps failing, ask "
        "your partner admin.",
    )
    return redirect("login")


def _request_id(request) -> str:
    return getattr(request, "request_id", "")


def callback(request):
    pending = request.session.get(PENDING) or {}
    sso = None
    if pending:
        sso = (
            PartnerSingleSignOn.objects.select_related("partner")
            .filter(partner_id=pending["partner"], partner__is_active=True)
            .first()
        )
    if sso is None or time.time() - pending["at"] > PENDING_SECONDS:
        return _failed(request, sso, "No single sign-on was under way.")
    try:
        token = _checked_client(sso).authorize_access_token(
            request,
            leeway=settings.SSO_CLOCK_SKEW_SECONDS,
            claims_options=_claims_options(sso),
        )
        claims = dict(token["userinfo"])
    except (
        AuthlibBaseError,
        JoseError,
        requests.RequestException,
        ValueError,
        KeyError,
    ) as e:
        return _failed(request, sso, f"{type(e).__name__}: {e}")
    request.session.pop(PENDING, None)
    try:
        user = single_sign_on.sign_in(
            sso=sso,
            claims=claims,
            source_ip=request.META.get("REMOTE_ADDR"),
            request_id=_request_id(request),
        )
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("login")
    if pending.get("step_up"):
        if not request.user.is_authenticated or request.user.pk != user.pk:
            return _failed(request, sso, "Step-up signed in someone else.")
        request.session[PASSED_AT] = int(time.time())
        request.session[ID_TOKEN] = token.get("id_token", "")
        return HttpResponseRedirect(pending["next"])
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    # The provider owns the second factor of this sign-in.
    request.session[PASSED_AT] = int(time.time())
    request.session[SIGNED_IN] = sso.partner_id
    request.session[ID_TOKEN] = token.get("id_token", "")
    return HttpResponseRedirect(pending["next"])


@staff_required()
def step_up(request):
    """Confirm it is still them: a new sign-in at the provider (see begin)."""
    next_url = safe_next(request, reverse("console-home"))
    sso = signed_in_with_sso(request)
    if sso is None:
        query = urlencode({"next": next_url})
        return redirect(f"{reverse('second-factor-confirm')}?{query}")
    return begin(request, sso, next_url=next_url, step_up=True)


def signed_in_with_sso(request) -> PartnerSingleSignOn | None:
    partner_id = request.session.get(SIGNED_IN)
    if not partner_id:
        return None
    return PartnerSingleSignOn.objects.filter(partner_id=partner_id).first()


@require_POST
def logout(request):
    """Sign out here, then at the provider when it publishes where."""
    sso = signed_in_with_sso(request)
    id_token = request.session.get(ID_TOKEN, "")
    auth_logout(request)
    if sso is not None:
        try:
            client = _client(sso)
            if client.load_server_metadata().get("end_session_endpoint"):
                # Offered as a link (see continue_to_provider).
                url = client.logout_redirect(
                    request,
                    post_logout_redirect_uri=request.build_absolute_uri(
                        reverse("login")
                    ),
                    id_token_hint=id_token or None,
                )["Location"]
                return render(request, "registration/sso_signed_out.html", {"url": url})
        except (AuthlibBaseError, requests.RequestException, ValueError):
            messages.warning(
                request,
                "You are signed out here; your organisation's sign-in could not "
                "be reached to sign you out there.",
            )
    return redirect("login")


# The partner's settings page.


class SingleSignOnForm(forms.Form):
    issuer = forms.CharField(
        label="Issuer URL",
        required=False,
        help_text="Where the provider publishes /.well-known/openid-configuration, "
        "e.g. https://login.example.com/realms/staff.",
    )
    client_id = forms.CharField(label="Client ID", required=False)
    client_secret = forms.CharField(
        label="Client secret",
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Never shown again once saved; leave blank to keep the saved one.",
    )
    domains = forms.CharField(
        label="Email domains",
        required=False,
        help_text="Staff whose address is in one of these sign in at the provider; "
        "separate them with spaces or commas.",
    )
    role_rules = forms.CharField(
        label="Roles from claims",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One rule a line, “role: claim=value”, e.g. “csr: groups=support”. "
        "Roles: partner_admin, csr, auditor. The first rule that matches wins; "
        "no match, no access.",
    )
    password_sign_in_allowed = forms.BooleanField(
        label="Staff may still sign in with a password", required=False
    )


def _settings_page(request, partner):
    sso = single_sign_on.get_single_sign_on(partner)
    if request.method == "POST":
        form = SingleSignOnForm(request.POST)
        if "remove" in request.POST:
            try:
                single_sign_on.remove_single_sign_on(
                    actor=request.actor, partner=partner
                )
            except DomainError as e:
                messages.error(request, e.message)
            else:
                messages.success(request, "Single sign-on is off.")
            return redirect(request.path)
        if form.is_valid():
            try:
                single_sign_on.set_single_sign_on(
                    actor=request.actor, partner=partner, **form.cleaned_data
                )
            except DomainError as e:
                apply_errors(form, e)
            else:
                messages.success(request, "Single sign-on saved.")
                return redirect(request.path)
    elif sso is not None:
        snapshot = single_sign_on._snapshot(sso)
        form = SingleSignOnForm(
            initial={
                "issuer": sso.issuer,
                "client_id": sso.client_id,
                "domains": " ".join(snapshot["domains"]),
                "role_rules": snapshot["role_rules"],
                "password_sign_in_allowed": sso.password_sign_in_allowed,
            }
        )
    else:
        form = SingleSignOnForm(initial={"password_sign_in_allowed": True})
    return render(
        request,
        "partners/single_sign_on.html",
        {
            "form": form,
            "partner": partner,
            "sso": sso,
            "redirect_uri": callback_url(request),
        },
    )


@staff_required("partner.settings")
@fresh_second_factor(methods=("GET", "POST"))
def partner_single_sign_on(request):
    if request.actor.is_operator:
        return redirect("partner-list")
    return _settings_page(request, request.actor.partner)


@staff_required("partners.manage")
@fresh_second_factor(methods=("GET", "POST"))
def operator_single_sign_on(request, slug):
    try:
        partner = services.get_partner(actor=request.actor, slug=slug)
    except NotFound:
        raise Http404 from None
    return _settings_page(request, partner)
