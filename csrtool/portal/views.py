"""The subscriber's CX Builder account: sign in, account page, Account Settings."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from csrtool import timezones
from csrtool.console import apply_errors
from csrtool.errors import DomainError
from csrtool.languages import use_subscriber_language
from csrtool.onboarding.models import SubscriberCredentials
from csrtool.portal import auth, services
from csrtool.portal.auth import portal_login_required
from csrtool.portal.forms import (
    EmailChangeForm,
    LanguageForm,
    LoginForm,
    PasswordForm,
    PinForm,
    SecurityQuestionForm,
    TimeZoneForm,
)


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) and target.startswith("/portal/"):
        return target
    return ""


def login(request):
    if auth.current_subscriber(request) is not None:
        return redirect("portal-home")
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        subscriber = auth.authenticate(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
            source_ip=auth.client_ip(request),
            request_id=getattr(request, "request_id", ""),
            partner=request.portal_partner,
        )
        if subscriber is not None:
            auth.portal_login(request, subscriber)
            return redirect(_next_url(request) or "portal-home")
        form.add_error(None, gettext(auth.LOGIN_REFUSED))
    return render(
        request, "portal/login.html", {"form": form, "next": _next_url(request)}
    )


@require_POST
def logout(request):
    auth.portal_logout(request)
    messages.success(request, gettext("You are signed out."))
    return redirect("portal-login")


@portal_login_required
def home(request):
    return render(
        request,
        "portal/home.html",
        {"subscriber": request.subscriber, "today": timezone.now()},
    )


SETTINGS_FORMS = {
    "language": ("lang", LanguageForm),
    "time_zone": ("tz", TimeZoneForm),
    "password": ("pw", PasswordForm),
    "pin": ("pin", PinForm),
    "security_question": ("sq", SecurityQuestionForm),
    "email": ("em", EmailChangeForm),
}

DONE = {
    "language": gettext_lazy("Your language is saved; your pages and emails use it."),
    "time_zone": gettext_lazy("Your time zone is saved; dates now show in its format."),
    "password": gettext_lazy(
        "Your password is changed. Other sessions of your account ended."
    ),
    "pin": gettext_lazy("Your PIN is changed."),
    "security_question": gettext_lazy("Your security question is changed."),
    "email": gettext_lazy(
        "We sent a link to {new_email}. Your login email changes when you "
        "open it; until then, sign in with {email}."
    ),
}


def _apply(request, which: str, data: dict) -> None:
    actor, subscriber = request.portal_actor, request.subscriber
    if which == "language":
        subscriber = services.change_language(
            actor=actor, subscriber=subscriber, **data
        )
        # The confirmation already speaks the new language.
        use_subscriber_language(request, subscriber)
    elif which == "time_zone":
        services.change_time_zone(actor=actor, subscriber=subscriber, **data)
    elif which == "password":
        data.pop("new_password_again")
        credentials = services.change_password(
            actor=actor, subscriber=subscriber, **data
        )
        auth.refresh_portal_session(request, credentials)
    elif which == "pin":
        data.pop("new_pin_again")
        services.change_pin(actor=actor, subscriber=subscriber, **data)
    elif which == "security_question":
        services.change_security_question(actor=actor, subscriber=subscriber, **data)
    elif which == "email":
        from csrtool.portal import email_change

        email_change.request_email_change(actor=actor, subscriber=subscriber, **data)


@portal_login_required
def account_settings(request):
    subscriber = request.subscriber
    which = request.POST.get("form", "") if request.method == "POST" else ""
    forms = {}
    for name, (prefix, form_class) in SETTINGS_FORMS.items():
        bound = request.POST if name == which else None
        initial = {"time_zone": subscriber.time_zone, "language": subscriber.language}
        forms[name] = form_class(bound, prefix=prefix, initial=initial)
    if which in forms and forms[which].is_valid():
        data = dict(forms[which].cleaned_data)
        try:
            _apply(request, which, data)
        except DomainError as e:
            apply_errors(forms[which], e)
        else:
            messages.success(
                request,
                str(DONE[which]).format(
                    new_email=data.get("new_email", ""), email=subscriber.email
                ),
            )
            return redirect("portal-settings")
    question = (
        SubscriberCredentials.objects.filter(subscriber=subscriber)
        .values_list("security_question", flat=True)
        .first()
    )
    return render(
        request,
        "portal/settings.html",
        {
            "subscriber": subscriber,
            "forms": forms,
            "security_question": question,
            "zone_choices": timezones.zone_choices(timezone.now()),
        },
    )
