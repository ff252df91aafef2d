"""Phone Numbers in the subscriber's portal: their numbers with Release, and Add a
number (Country, then Area Code, then one of the available numbers)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from csrtool.errors import DomainError
from csrtool.numberpool import self_service
from csrtool.numberpool.models import PhoneNumber
from csrtool.portal.auth import portal_login_required


@portal_login_required
def numbers(request):
    subscriber = request.subscriber
    refusal = self_service.self_service_refusal(subscriber)
    lines = list(PhoneNumber.objects.owned_by(subscriber).order_by("number"))
    context = {
        "subscriber": subscriber,
        "lines": lines,
        "refusal": refusal,
        "countries": [],
        "area_codes": [],
        "offered": [],
        "country": "",
        "area": "",
    }
    if not refusal:
        countries = self_service.offered_countries(subscriber)
        codes = {code for code, _ in countries}
        country = request.GET.get("country", "")
        if country not in codes:
            country = countries[0][0] if len(countries) == 1 else ""
        area_codes = (
            self_service.offered_area_codes(subscriber, country) if country else []
        )
        area = request.GET.get("area", "")
        if area not in area_codes:
            area = ""
        offered = []
        if country and area:
            offered = self_service.offered_in(subscriber, country, area)
        context.update(
            countries=countries,
            area_codes=area_codes,
            offered=offered,
            country=country,
            area=area,
        )
    return render(request, "numberpool/portal_numbers_page.html", context)


def _back(request):
    query = {k: request.POST.get(k, "") for k in ("country", "area")}
    query = {k: v for k, v in query.items() if v}
    url = reverse("portal-numbers")
    return redirect(f"{url}?{urlencode(query)}" if query else url)


@require_POST
@portal_login_required
def add(request):
    dnis = request.POST.get("dnis", "")
    if not dnis:
        messages.error(
            request, gettext("Choose one of the available numbers, then Add Number.")
        )
        return _back(request)
    try:
        line = self_service.claim_number(
            actor=request.portal_actor, subscriber=request.subscriber, dnis=dnis
        )
    except DomainError as e:
        messages.error(request, e.message)
        return _back(request)
    messages.success(
        request,
        gettext("%(number)s is now on your account.") % {"number": line.number_display},
    )
    return redirect("portal-numbers")


@require_POST
@portal_login_required
def release(request):
    try:
        line = self_service.release_number(
            actor=request.portal_actor,
            subscriber=request.subscriber,
            dnis=request.POST.get("dnis", ""),
        )
    except DomainError as e:
        messages.error(request, e.message)
    else:
        released = {"number": line.number_display}
        if line.aging_until:
            released["date"] = request.subscriber.local_date(line.aging_until)
            message = gettext(
                "%(number)s was released. Until %(date)s you can add it back."
            )
        else:
            message = gettext("%(number)s was released.")
        messages.success(request, message % released)
    return redirect("portal-numbers")
