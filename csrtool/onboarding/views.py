from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from csrtool.console import apply_errors
from csrtool.errors import DomainError, NotFound
from csrtool.hosts import serves_partner
from csrtool.languages import use_subscriber_language
from csrtool.onboarding import services
from csrtool.onboarding.forms import NewLinkForm, OnboardingForm
from csrtool.partners.access import staff_required


def client_ip(request) -> str:
    # REMOTE_ADDR only: a forged X-Forwarded-For must not dodge the rate limit.
    return request.META.get("REMOTE_ADDR") or ""


def _unusable(request, error: services.LinkUnusable):
    status = 404 if error.state == "unknown" else 410
    return render(
        request,
        "onboarding/link_unusable.html",
        {"form": NewLinkForm(), "state": error.state},
        status=status,
    )


@never_cache
def start(request, token):
    """The welcome link: opening it shows the form; only submitting uses it up."""
    try:
        link = services.find_link(token)
    except services.LinkUnusable as e:
        return _unusable(request, e)
    if not serves_partner(request, link.subscriber.partner):
        # Another partner's link on this partner's host: unknown here.
        return _unusable(request, services.LinkUnusable("unknown"))
    subscriber = link.subscriber
    use_subscriber_language(request, subscriber)
    if request.method == "POST":
        form = OnboardingForm(request.POST)
        if form.is_valid():
            try:
                subscriber = services.complete_onboarding(
                    token=token,
                    source_ip=client_ip(request),
                    request_id=getattr(request, "request_id", ""),
                    **form.cleaned_data,
                )
            except services.LinkUnusable as e:
                return _unusable(request, e)
            except DomainError as e:
                apply_errors(form, e)
            else:
                from csrtool.portal.auth import portal_login

                portal_login(request, subscriber)
                messages.success(
                    request,
                    gettext("Your account is ready. Welcome to your account page."),
                )
                return redirect("portal-home")
    else:
        form = OnboardingForm()
    return render(
        request,
        "onboarding/start.html",
        {
            "form": form,
            "subscriber": subscriber,
            "partner": subscriber.partner,
            "expires_at": subscriber.local_datetime(link.expires_at),
        },
    )


@never_cache
def new_link(request):
    """ "Email me a new link": the same answer whether or not the address exists."""
    form = NewLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_new_link(
                email=form.cleaned_data["email"], source_ip=client_ip(request)
            )
        except services.TooManyRequests as e:
            form.add_error(None, e.message)
            return render(
                request, "onboarding/new_link.html", {"form": form}, status=429
            )
        return render(request, "onboarding/new_link_sent.html", {})
    return render(request, "onboarding/new_link.html", {"form": form})


@require_POST
@staff_required("subscribers.change")
def resend(request, public_id):
    try:
        email = services.resend_welcome(
            actor=request.actor,
            public_id=public_id,
            email=request.POST.get("email"),
        )
    except NotFound:
        raise Http404 from None
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(
            request,
            f"A new welcome email is on its way to {email.recipient}. "
            "Links in earlier emails no longer work.",
        )
    return redirect("subscriber-detail", public_id=public_id)
