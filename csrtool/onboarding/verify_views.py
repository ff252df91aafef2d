"""CSR pages for a caller on the phone: verify caller, send a password-reset email,
unlock portal sign-in."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from csrtool.console import apply_errors
from csrtool.errors import DomainError, NotFound
from csrtool.onboarding import verify
from csrtool.partners.access import staff_required
from csrtool.portal import reset, signin_lock
from csrtool.subscribers.services import get_subscriber


class VerifyCallerForm(forms.Form):
    method = forms.ChoiceField(
        label="The caller gives their",
        required=False,
        choices=[("pin", "PIN"), ("answer", "Security answer")],
        widget=forms.RadioSelect,
        initial="pin",
    )
    value = forms.CharField(
        label="What the caller says",
        required=False,
        help_text="Checked once and forgotten: it is never stored or shown.",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


def _load(request, public_id):
    try:
        return get_subscriber(actor=request.actor, public_id=public_id)
    except NotFound:
        raise Http404 from None


@staff_required("callers.verify")
def verify_caller(request, public_id):
    subscriber = _load(request, public_id)
    result = None
    form = VerifyCallerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = verify.verify_caller(
                actor=request.actor,
                public_id=subscriber.public_id,
                method=form.cleaned_data["method"] or "pin",
                value=form.cleaned_data["value"],
            )
        except DomainError as e:
            apply_errors(form, e)
        else:
            form = VerifyCallerForm(initial={"method": result.method})
    return render(
        request,
        "onboarding/verify_caller.html",
        {
            "subscriber": subscriber,
            "form": form,
            "result": result,
            "question": verify.security_question(
                actor=request.actor, subscriber=subscriber
            ),
            "tries_left": verify.tries_left(actor=request.actor, subscriber=subscriber),
        },
    )


@require_POST
@staff_required("subscribers.change")
def send_password_reset(request, public_id):
    subscriber = _load(request, public_id)
    try:
        email = reset.send_password_reset(
            actor=request.actor, public_id=subscriber.public_id
        )
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(
            request,
            f"A password-reset link is on its way to {email.recipient}. It works "
            "for one hour.",
        )
    return redirect("subscriber-detail", public_id=subscriber.public_id)


@require_POST
@staff_required("subscribers.change")
def unlock_sign_in(request, public_id):
    subscriber = _load(request, public_id)
    try:
        signin_lock.unlock_sign_in(
            actor=request.actor,
            public_id=subscriber.public_id,
            reason=request.POST.get("reason", ""),
        )
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(
            request,
            "Portal sign-in is unlocked: the subscriber can sign in again.",
        )
    return redirect("subscriber-detail", public_id=subscriber.public_id)
