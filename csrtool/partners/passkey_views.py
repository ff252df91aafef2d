"""Passkeys and security keys: the options a browser asks for before it creates
or uses one (passkeys.js), adding one from the Sign-in security page, and
removing one. Using one happens on the second-factor pages themselves
(second_factor_views)."""

import time

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from csrtool.errors import DomainError
from csrtool.partners import passkeys, second_factor
from csrtool.partners.access import staff_required
from csrtool.partners.second_factor_views import (
    CHALLENGE,
    PASSED_AT,
    add_posted_passkey,
    fresh_second_factor,
    pending_user,
    relying_party,
)


def _options(request, options_json: str, challenge: str) -> HttpResponse:
    request.session[CHALLENGE] = challenge
    return HttpResponse(options_json, content_type="application/json")


@require_POST
def sign_in_options(request):
    """Options to use one of the member's passkeys: at sign-in (between the
    password and the second factor) or for a step-up."""
    user = request.user if request.user.is_authenticated else pending_user(request)
    if user is None or not second_factor.has_passkeys(user):
        return JsonResponse({"error": "Sign in again."}, status=403)
    rp_id, _ = relying_party(request)
    return _options(request, *passkeys.authentication_options(user=user, rp_id=rp_id))


@require_POST
def sign_in_setup_options(request):
    """Options to create a first passkey at sign-in, for the member whose
    password was right and who must set up a second factor."""
    user = pending_user(request)
    if user is None or second_factor.enrolled(user):
        return JsonResponse({"error": "Sign in again."}, status=403)
    rp_id, _ = relying_party(request)
    return _options(request, *passkeys.registration_options(user=user, rp_id=rp_id))


@require_POST
@staff_required()
@fresh_second_factor()
def add_options(request):
    rp_id, _ = relying_party(request)
    return _options(
        request, *passkeys.registration_options(user=request.user, rp_id=rp_id)
    )


@require_POST
@staff_required()
@fresh_second_factor()
def add(request):
    try:
        codes = add_posted_passkey(request, request.actor)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("staff-security")
    request.session[PASSED_AT] = int(time.time())
    messages.success(request, "Your passkey is added.")
    if codes is None:
        return redirect("staff-security")
    return render(request, "partners/recovery_codes.html", {"codes": codes})


@require_POST
@staff_required()
@fresh_second_factor()
def remove(request, passkey_id):
    try:
        passkey = passkeys.remove_passkey(actor=request.actor, passkey_id=passkey_id)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, f"Passkey “{passkey.name}” removed.")
    return redirect("staff-security")
