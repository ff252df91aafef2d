"""The second factor's pages: the sign-in step after the password, setting up an
authenticator app (at sign-in when required, or from the member's own Sign-in
security page), recovery codes, the step-up check before sensitive actions, and
a partner admin's reset.

Between a right password and a right code the session is not signed in: it only
remembers whose password it was (`PENDING`), for a few minutes and a few tries.
"""

import functools
import time
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.http import Http404, HttpResponseRedirect
from django.http.request import split_domain_port
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from csrtool.errors import DomainError, NotFound
from csrtool.partners import passkeys, second_factor
from csrtool.partners.access import staff_actor, staff_required
from csrtool.partners.models import User

PENDING = "staff_second_factor_pending"
PASSED_AT = "staff_second_factor_at"
# The challenge of the passkey ceremony under way: each is answered once.
CHALLENGE = "staff_webauthn_challenge"
PENDING_SECONDS = 10 * 60
# A session signed in at the partner's provider (csrtool.partners.sso_views) holds
# the partner's pk here: its step-up is a new sign-in there.
SSO_SIGNED_IN = "staff_sso_partner"
PENDING_TRIES = 5


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        required=False,
        help_text="The 6-digit code your authenticator app shows now, or one of "
        "your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class NewAppCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your app",
        required=False,
        help_text="The 6-digit code the app shows for CSR Tool.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )


class PasskeyForm(forms.Form):
    name = forms.CharField(
        label="Name of the passkey or security key",
        required=False,
        help_text="So you can tell them apart, e.g. “YubiKey on my keyring”.",
    )


class ResetForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        required=False,
        help_text="For the audit log, e.g. “lost phone, confirmed by call”.",
    )


def _actor(request, user: User):
    return staff_actor(
        user,
        source_ip=request.META.get("REMOTE_ADDR"),
        request_id=getattr(request, "request_id", ""),
    )


def _field_error(form, error: DomainError) -> None:
    form.add_error("code" if "code" in form.fields else None, error.message)


def relying_party(request) -> tuple[str, str]:
    """(RP ID, origin) for WebAuthn: this console host, as the browser sees it."""
    host = request.get_host()
    return split_domain_port(host)[0], f"{request.scheme}://{host}"


def add_posted_passkey(request, actor):
    """Add the passkey the browser just created (the form's name and credential,
    against the challenge this session issued): its recovery codes when it is
    the actor's first second factor, else None. Raises DomainError."""
    form = PasskeyForm(request.POST)
    form.is_valid()
    rp_id, origin = relying_party(request)
    return passkeys.add_passkey(
        actor=actor,
        name=form.cleaned_data.get("name") or "",
        credential=request.POST.get("credential") or "",
        challenge=request.session.pop(CHALLENGE, ""),
        rp_id=rp_id,
        origin=origin,
    )


def _check(request, form, user: User, actor, purpose: str) -> str:
    """Check the answer of a passkey when one was given, else the typed code."""
    credential = request.POST.get("credential")
    if credential:
        rp_id, origin = relying_party(request)
        return passkeys.check(
            actor=actor,
            user=user,
            credential=credential,
            challenge=request.session.pop(CHALLENGE, ""),
            rp_id=rp_id,
            origin=origin,
            request=request,
            purpose=purpose,
        )
    if not form.is_valid():
        raise DomainError(form.errors.get("code", ["Enter a code."])[0], field="code")
    return second_factor.check(
        actor=actor,
        user=user,
        code=form.cleaned_data["code"],
        request=request,
        purpose=purpose,
    )


def _code_page(request, form, user: User, **context):
    context.update(
        form=form,
        has_app=second_factor.authenticator(user) is not None,
        has_passkeys=second_factor.has_passkeys(user),
    )
    return render(request, "registration/second_factor.html", context)


# Sign-in: the step after the password.


def begin(request, user: User, *, next_url: str):
    """The password was right: ask for the second factor (or to set one up)."""
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "backend": user.backend,
        "next": next_url,
        "at": int(time.time()),
        "tries": 0,
    }
    if second_factor.enrolled(user):
        return redirect("login-second-factor")
    return redirect("login-second-factor-setup")


def _pending(request) -> tuple[User | None, dict]:
    pending = request.session.get(PENDING) or {}
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None, {}
    user = (
        User.objects.select_related("partner")
        .filter(pk=pending["user"], is_active=True)
        .first()
    )
    if user is None or (user.partner_id and not user.partner.is_active):
        return None, {}
    return user, pending


def pending_user(request) -> User | None:
    """Whose right password this session holds, if it is still waiting."""
    return _pending(request)[0]


def _start_over(request, text: str):
    request.session.pop(PENDING, None)
    messages.error(request, text)
    return redirect("login")


def _wrong(request, pending: dict):
    """Count a wrong code; True once this sign-in has had its last try."""
    pending["tries"] += 1
    request.session[PENDING] = pending
    return pending["tries"] >= PENDING_TRIES


def _finish(request, user: User, pending: dict) -> None:
    auth_login(request, user, backend=pending["backend"])
    request.session.pop(PENDING, None)
    request.session[PASSED_AT] = int(time.time())


EXPIRED = "Your sign-in timed out. Sign in again."
TOO_MANY = "Too many wrong codes. Sign in again."


def login_second_factor(request):
    user, pending = _pending(request)
    if user is None:
        return _start_over(request, EXPIRED)
    if not second_factor.enrolled(user):
        return redirect("login-second-factor-setup")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        try:
            method = _check(request, form, user, _actor(request, user), "sign_in")
        except DomainError as e:
            if e.code == "wrong_code" and _wrong(request, pending):
                return _start_over(request, TOO_MANY)
            _field_error(form, e)
        else:
            _finish(request, user, pending)
            if method == second_factor.RECOVERY_CODES:
                left = second_factor.recovery_codes_left(user)
                messages.warning(
                    request,
                    f"You signed in with a recovery code; it cannot be used again. "
                    f"{left} left. Make new ones under Sign-in security if you are "
                    "running short.",
                )
            return HttpResponseRedirect(pending["next"])
    return _code_page(request, form, user, heading="Second factor", signing_in=True)


def _confirm_new_app(request, user: User, actor) -> tuple[NewAppCodeForm, dict]:
    """The set-up form of a new authenticator app, confirmed with its code when
    posted: (form, outcome), the outcome holding the new recovery codes (None
    when the member kept theirs) once confirmed, or the refusal."""
    form = NewAppCodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid() and second_factor.pending_authenticator(user) is not None:
        try:
            codes = second_factor.confirm_authenticator(
                actor=actor, user=user, code=form.cleaned_data["code"]
            )
        except DomainError as e:
            _field_error(form, e)
            return form, {"error": e}
        return form, {"codes": codes}
    return form, {}


def _set_up_page(request, template: str, form, member: User, **context):
    device = second_factor.pending_authenticator(member)
    if device is None:
        device = second_factor.start_authenticator(user=member)
    context.update(
        form=form,
        qr_code=second_factor.qr_code(device),
        secret=second_factor.secret_text(device),
    )
    return render(request, template, context)


def login_second_factor_setup(request):
    user, pending = _pending(request)
    if user is None:
        return _start_over(request, EXPIRED)
    if second_factor.enrolled(user):
        return redirect("login-second-factor")
    form, outcome = _confirm_new_app(request, user, _actor(request, user))
    error = outcome.get("error")
    if error and error.code == "wrong_code" and _wrong(request, pending):
        return _start_over(request, TOO_MANY)
    if "codes" in outcome:
        _finish(request, user, pending)
        return render(
            request,
            "registration/recovery_codes.html",
            {"codes": outcome["codes"], "next": pending["next"]},
        )
    return _set_up_page(
        request,
        "registration/second_factor_setup.html",
        form,
        user,
        user=user,
        passkey_form=PasskeyForm(),
    )


def login_second_factor_setup_passkey(request):
    """Setting up a passkey or security key as the second factor at sign-in
    (its options: passkey_views.sign_in_setup_options)."""
    user, pending = _pending(request)
    if user is None:
        return _start_over(request, EXPIRED)
    if second_factor.enrolled(user):
        return redirect("login-second-factor")
    if request.method != "POST":
        return redirect("login-second-factor-setup")
    try:
        codes = add_posted_passkey(request, _actor(request, user))
    except DomainError as e:
        if e.code == "wrong_code" and _wrong(request, pending):
            return _start_over(request, TOO_MANY)
        messages.error(request, e.message)
        return redirect("login-second-factor-setup")
    _finish(request, user, pending)
    return render(
        request,
        "registration/recovery_codes.html",
        {"codes": codes, "next": pending["next"]},
    )


# Step-up: the second factor again before the most sensitive actions.


def needs_step_up(request) -> bool:
    if not request.session.get(SSO_SIGNED_IN) and not second_factor.enrolled(
        request.user
    ):
        return False
    passed = request.session.get(PASSED_AT, 0)
    return time.time() - passed > settings.SECOND_FACTOR_FRESH_MINUTES * 60


def step_up_redirect(request, *, back: str):
    messages.info(
        request,
        "Confirm it is you with your second factor first; then do it again.",
    )
    query = urlencode({"next": back})
    if request.session.get(SSO_SIGNED_IN):
        return redirect(f"{reverse('login-sso-step-up')}?{query}")
    return redirect(f"{reverse('second-factor-confirm')}?{query}")


def fresh_second_factor(methods=("POST",)):
    """Before the view runs for `methods`, ask for the second factor again when
    it was last passed too long ago (inside `staff_required`)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods and needs_step_up(request):
                back = request.path if request.method == "POST" else None
                return step_up_redirect(request, back=back or request.get_full_path())
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def safe_next(request, fallback: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=False
    ):
        return candidate
    return fallback


@staff_required()
def confirm(request):
    next_url = safe_next(request, reverse("console-home"))
    if not second_factor.enrolled(request.user):
        return HttpResponseRedirect(next_url)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        try:
            _check(request, form, request.user, request.actor, "step_up")
        except DomainError as e:
            _field_error(form, e)
        else:
            request.session[PASSED_AT] = int(time.time())
            return HttpResponseRedirect(next_url)
    return _code_page(
        request, form, request.user, heading="Confirm it is you", next=next_url
    )


# The member's own Sign-in security page.


@staff_required()
def security(request):
    user = request.user
    return render(
        request,
        "partners/security.html",
        {
            "required": second_factor.required(user),
            "authenticator": second_factor.authenticator(user),
            "recovery_codes_left": second_factor.recovery_codes_left(user),
            "enrolled": second_factor.enrolled(user),
            "passkeys": user.passkeys.all(),
            "passkey_form": PasskeyForm(),
        },
    )


@staff_required()
@fresh_second_factor(methods=("GET", "POST"))
def security_authenticator(request):
    user = request.user
    if second_factor.enrolled(user):
        return redirect("staff-security")
    form, outcome = _confirm_new_app(request, user, request.actor)
    if "codes" in outcome:
        request.session[PASSED_AT] = int(time.time())
        messages.success(request, "Your authenticator app is set up.")
        if outcome["codes"] is None:
            return redirect("staff-security")
        return render(
            request, "partners/recovery_codes.html", {"codes": outcome["codes"]}
        )
    return _set_up_page(request, "partners/security_authenticator.html", form, user)


@require_POST
@staff_required()
@fresh_second_factor()
def security_recovery_codes(request):
    try:
        codes = second_factor.new_recovery_codes(actor=request.actor)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("staff-security")
    return render(request, "partners/recovery_codes.html", {"codes": codes})


@require_POST
@staff_required()
@fresh_second_factor()
def security_remove_authenticator(request):
    try:
        second_factor.remove_authenticator(actor=request.actor)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, "Your authenticator app and recovery codes are gone.")
    return redirect("staff-security")


# A partner admin (or the operator) resets another member's second factor.


@require_POST
@staff_required("staff.manage")
@fresh_second_factor()
def staff_reset(request, staff_id):
    form = ResetForm(request.POST)
    form.is_valid()
    try:
        member = second_factor.reset_second_factor(
            actor=request.actor, staff_id=staff_id, reason=form.cleaned_data["reason"]
        )
    except NotFound:
        raise Http404 from None
    except DomainError as e:
        messages.error(request, e.message)
    else:
        then = (
            "They set up a new one when they next sign in."
            if second_factor.required(member)
            else "They sign in with their password only until they set up a new one."
        )
        messages.success(request, f"{member.email}'s second factor is reset. {then}")
    return redirect("staff-edit", staff_id=staff_id)
