"""Pages opened from the portal's emails: forgot password and email confirmation.

Opening a link only shows a page (mail scanners open links); submitting it is
what uses it up. The reset link's token is swapped for a session entry on the
first visit, so the address bar, history and Referer never carry it further.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from csrtool.console import apply_errors
from csrtool.errors import DomainError
from csrtool.hosts import serves_partner
from csrtool.languages import use_subscriber_language
from csrtool.onboarding.models import SubscriberCredentials
from csrtool.onboarding.services import LinkUnusable
from csrtool.portal import auth, email_change, reset
from csrtool.portal.forms import ForgotPasswordForm, NewPasswordForm, ResetAnswerForm

RESET_SESSION_KEY = "portal_reset"


def _private(response, *, referrer=True):
    # Pages with a form keep the site-wide same-origin policy: with no-referrer,
    # browsers send "Origin: null" and the CSRF check rightly refuses the POST.
    if not referrer:
        response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


def _unusable(request):
    return _private(
        render(request, "portal/link_unusable.html", status=410), referrer=False
    )


def forgot_password(request):
    form = ForgotPasswordForm(request.POST or None)
    sent = False
    if request.method == "POST" and form.is_valid():
        reset.request_password_reset(
            email=form.cleaned_data["email"],
            source_ip=auth.client_ip(request),
            request_id=getattr(request, "request_id", ""),
        )
        sent = True
        form = ForgotPasswordForm()
    return render(request, "portal/forgot_password.html", {"form": form, "sent": sent})


def reset_link(request, token):
    try:
        link = reset.find_reset_link(token)
    except LinkUnusable:
        return _unusable(request)
    if not serves_partner(request, link.subscriber.partner):
        return _unusable(request)
    use_subscriber_language(request, link.subscriber)
    request.session.cycle_key()
    request.session[RESET_SESSION_KEY] = {"link": link.pk, "answered": False}
    return _private(redirect("portal-reset"), referrer=False)


def reset_password(request):
    state = request.session.get(RESET_SESSION_KEY) or {}
    try:
        link = reset.reset_link(state.get("link"))
    except LinkUnusable:
        request.session.pop(RESET_SESSION_KEY, None)
        return _unusable(request)
    use_subscriber_language(request, link.subscriber)
    ip = auth.client_ip(request)
    request_id = getattr(request, "request_id", "")
    if not state.get("answered"):
        form = ResetAnswerForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reset.check_reset_answer(
                    link_id=link.pk,
                    answer=form.cleaned_data["answer"],
                    source_ip=ip,
                    request_id=request_id,
                )
            except DomainError as e:
                apply_errors(form, e)
            else:
                request.session[RESET_SESSION_KEY] = {"link": link.pk, "answered": True}
                return _private(redirect("portal-reset"))
        question = SubscriberCredentials.objects.get(
            subscriber=link.subscriber
        ).security_question
        return _private(
            render(
                request,
                "portal/reset_answer.html",
                {"form": form, "question": question},
            )
        )
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reset.complete_password_reset(
                link_id=link.pk,
                new_password=form.cleaned_data["new_password"],
                source_ip=ip,
                request_id=request_id,
            )
        except LinkUnusable:
            request.session.pop(RESET_SESSION_KEY, None)
            return _unusable(request)
        except DomainError as e:
            apply_errors(form, e)
        else:
            request.session.pop(RESET_SESSION_KEY, None)
            auth.portal_logout(request)
            messages.success(
                request, gettext("Your password is changed. Sign in with it.")
            )
            return redirect("portal-login")
    return _private(render(request, "portal/reset_password.html", {"form": form}))


def confirm_email(request, token):
    try:
        change = email_change.find_email_change(token)
    except LinkUnusable:
        return _unusable(request)
    if not serves_partner(request, change.subscriber.partner):
        return _unusable(request)
    use_subscriber_language(request, change.subscriber)
    if request.method == "POST":
        try:
            email_change.confirm_email_change(
                token=token,
                source_ip=auth.client_ip(request),
                request_id=getattr(request, "request_id", ""),
            )
        except LinkUnusable:
            return _unusable(request)
        except DomainError as e:
            messages.error(request, e.message)
        else:
            messages.success(
                request,
                gettext(
                    "Your login email is now %(email)s. Sign in with it from now on."
                )
                % {"email": change.new_email},
            )
            if auth.current_subscriber(request) is not None:
                return redirect("portal-home")
            return redirect("portal-login")
    return _private(render(request, "portal/confirm_email.html", {"change": change}))
