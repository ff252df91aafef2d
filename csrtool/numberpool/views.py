from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from csrtool import timezones
from csrtool.audit.models import AuditEvent
from csrtool.console import apply_errors
from csrtool.errors import DomainError, NotFound
from csrtool.numberpool import services
from csrtool.numberpool.forms import (
    AddNumberForm,
    AssignForm,
    RemoveNumberForm,
    RetireNumberForm,
)
from csrtool.numberpool.models import (
    NumberAssignment,
    NumberStatus,
    NumberType,
    PhoneNumber,
)
from csrtool.partners.access import staff_required
from csrtool.partners.models import Partner
from csrtool.subscribers.services import find_subscriber
from csrtool.validation import calling_code, clean_codes


def _partner_choices(actor):
    if not actor.is_operator:
        return None
    return [("", "Choose a partner")] + [
        (p.slug, p.name) for p in Partner.objects.filter(is_active=True)
    ]


def _carried(request, value=None):
    """The subscriber a page works for (`?subscriber=`), or None."""
    value = request.GET.get("subscriber", "") if value is None else value
    value = str(value or "").strip()[:254]
    if not value:
        return None
    try:
        return find_subscriber(actor=request.actor, value=value)
    except DomainError:
        return None


def _digits(value, length) -> str:
    value = str(value or "").strip().lstrip("+")[:length]
    return value if value.isascii() and value.isdigit() else ""


def _codes(request) -> dict:
    """The country and area codes a list is filtered by, as typed, each with
    an error message when no number could have it (the list is then empty)."""
    codes = {
        "country": request.GET.get("country", "").strip()[:4],
        "area": request.GET.get("area", "").strip()[:8],
    }
    try:
        clean_codes(codes["country"], codes["area"])
    except DomainError as e:
        messages.error(request, e.message)
    return codes


def _pool_list(request):
    """The pool as a page of rows in number order, with the filters it was
    asked for: an index in number order answers every filter, and nothing
    counts the whole pool."""
    actor = request.actor
    filters = {
        "state": request.GET.get("state", "").strip(),
        "type": request.GET.get("type", "").strip(),
        # A code no number can have is ignored, as the other filters are.
        "country": calling_code(request.GET.get("country", "")[:4]) or "",
        "area": _digits(request.GET.get("area"), 8),
    }
    if filters["state"] not in NumberStatus.values:
        filters["state"] = ""
    if filters["type"] not in NumberType.values:
        filters["type"] = ""
    queryset = PhoneNumber.objects.for_actor(actor)
    if actor.is_operator:
        filters["partner"] = request.GET.get("partner", "").strip()[:50]
        partner = Partner.objects.filter(slug=filters["partner"]).first()
        if partner is not None:
            queryset = queryset.for_partner(partner)
        else:
            filters["partner"] = ""
    queryset = queryset.select_related("partner", "subscriber").filtered(
        country_code=filters["country"],
        number_type=filters["type"],
        area_code=filters["area"],
    )
    if filters["state"]:
        queryset = queryset.in_state(filters["state"])
    page = queryset.page(request.GET.get("after"))
    given = {name: value for name, value in filters.items() if value}
    return {
        "page": page,
        "filters": filters,
        "filtered": bool(given),
        "paged": bool(request.GET.get("after")),
        "first_query": urlencode(given),
        "next_query": urlencode({**given, "after": page.next_cursor})
        if page.next_cursor
        else "",
        "states": NumberStatus.choices,
        "types": NumberType.choices,
        "partners": (_partner_choices(actor) or [None])[1:],
    }


@staff_required("pool.view")
def pool_admin(request):
    """The partner's pool as a filtered, paged list; partner admins also add and
    remove numbers beside it, everyone else only reads it."""
    actor = request.actor
    if request.method == "POST" and not actor.can("pool.manage"):
        raise Http404
    context = _pool_list(request)
    if not actor.can("pool.manage"):
        return render(request, "numberpool/pool_admin.html", context)
    choices = _partner_choices(actor)
    add_form = AddNumberForm(partner_choices=choices)
    resolved = None
    remove_form = RemoveNumberForm()
    if request.method == "POST" and request.POST.get("action") == "remove":
        remove_form = RemoveNumberForm(request.POST)
        if remove_form.is_valid():
            try:
                line = services.remove_number(
                    actor=actor, dnis=remove_form.cleaned_data["dnis"]
                )
            except NotFound as e:
                remove_form.add_error("dnis", e.message)
            except DomainError as e:
                apply_errors(remove_form, e)
            else:
                messages.success(
                    request, f"{line.dnis} ({line.number_display}) was removed."
                )
                return redirect("pool-admin")
    elif request.method == "POST":
        add_form = AddNumberForm(request.POST, partner_choices=choices)
        if add_form.is_valid() and "@" in add_form.cleaned_data["subscriber_id"]:
            # A login email: say which account it is before adding anything.
            try:
                resolved = find_subscriber(
                    actor=actor, value=add_form.cleaned_data["subscriber_id"]
                )
            except DomainError as e:
                apply_errors(add_form, e)
            else:
                add_form = AddNumberForm(
                    {**request.POST.dict(), "subscriber_id": resolved.public_id},
                    partner_choices=choices,
                )
        elif add_form.is_valid():
            data = dict(add_form.cleaned_data)
            partner = None
            if actor.is_operator:
                partner = Partner.objects.filter(slug=data.pop("partner", "")).first()
            try:
                line = services.add_number(actor=actor, partner=partner, **data)
            except DomainError as e:
                apply_errors(add_form, e)
            else:
                messages.success(request, _added(line, data))
                return redirect("pool-admin")
    return render(
        request,
        "numberpool/pool_admin.html",
        {
            **context,
            "form": add_form,
            "remove_form": remove_form,
            "resolved": resolved,
        },
    )


def _added(line, given: dict) -> str:
    """The confirmation of an add, naming what was taken from the number."""
    text = f"{line.dnis} ({line.number_display}) was added to the pool"
    if line.subscriber_id:
        text += (
            f", assigned to {line.subscriber.full_name} "
            f"(Subscriber ID {line.subscriber.public_id})"
        )
    derived = [
        label
        for field, label in (
            ("dnis", f"DNIS {line.dnis}"),
            ("country_code", f"country code {line.country_code}"),
            ("area_code", f"area code {line.area_code}"),
        )
        if not str(given.get(field) or "").strip() and getattr(line, field)
    ]
    if derived:
        text += ". Taken from the number: " + ", ".join(derived)
    return text + "."


@staff_required("pool.view")
def line_lookup(request):
    actor = request.actor
    query = request.GET.get("q", "").strip()[:40]
    page = None
    ending = ""
    if query:
        dnis = services.named_dnis(actor=actor, value=query)
        if dnis is not None:
            url = reverse("number-detail", args=[dnis])
            if request.GET.get("subscriber"):
                url += "?" + urlencode({"subscriber": request.GET["subscriber"][:254]})
            return redirect(url)
        queryset = PhoneNumber.objects.line_lookup(actor, query)
        page = queryset.page(request.GET.get("after"))
        ending = queryset.ending
    return render(
        request,
        "numberpool/line_lookup.html",
        {
            "query": query,
            "page": page,
            "ending": ending,
            "now": timezone.now(),
            "subscriber": _carried(request),
        },
    )


@staff_required("pool.view")
def detail(request, dnis):
    actor = request.actor
    queryset = PhoneNumber.objects.for_actor(actor).select_related(
        "partner", "subscriber", "previous_subscriber"
    )
    line = queryset.filter(dnis=dnis).first()
    if line is None:
        raise Http404
    owners = (
        NumberAssignment.objects.filter(number=line)
        .select_related("subscriber")
        .order_by("-assigned_at", "-pk")[:50]
    )
    events = AuditEvent.objects.for_actor(actor, tested=True).history_of(
        "phonenumber", line.dnis
    )[:100]
    now = timezone.now()
    subscriber = _carried(request)
    query = {"number": line.dnis}
    if subscriber:
        query["subscriber"] = subscriber.public_id
    return render(
        request,
        "numberpool/detail.html",
        {
            "subscriber": subscriber,
            "line": line,
            "status": line.effective_status(now),
            "status_label": line.effective_status_display(now),
            "owners": owners,
            "events": events,
            "assign_url": reverse("number-assign") + "?" + urlencode(query),
            "retire_form": RetireNumberForm(),
        },
    )


_RETIREMENT = {
    "retire": (services.retire_number, "{dnis} is retired: nobody can be given it."),
    "unretire": (services.unretire_number, "{dnis} is back in the pool, available."),
}


@require_POST
@staff_required("pool.manage")
def retire(request, dnis):
    """Retire / Return to pool, from the number's page."""
    service, confirmation = _RETIREMENT[
        "unretire" if request.POST.get("action") == "unretire" else "retire"
    ]
    form = RetireNumberForm(request.POST)
    form.is_valid()
    try:
        line = service(
            actor=request.actor,
            number=dnis,
            reason=form.cleaned_data.get("reason", ""),
        )
    except NotFound:
        raise Http404 from None
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, confirmation.format(dnis=line.dnis))
    return redirect("number-detail", dnis=dnis)


@staff_required("pool.view")
def available(request):
    actor = request.actor
    filters = {**_codes(request), "type": request.GET.get("type", "").strip()}
    queryset = (
        PhoneNumber.objects.for_actor(actor).available().select_related("partner")
    )
    queryset = queryset.filtered(
        country_code=filters["country"],
        number_type=filters["type"] if filters["type"] in NumberType.values else "",
        area_code=filters["area"],
    )
    page = queryset.page(request.GET.get("after"))
    subscriber = _carried(request)
    carry = {"subscriber": subscriber.public_id} if subscriber else {}
    next_query = ""
    if page.next_cursor:
        next_query = urlencode({**filters, **carry, "after": page.next_cursor})
    return render(
        request,
        "numberpool/available.html",
        {
            "subscriber": subscriber,
            "page": page,
            "filters": filters,
            "types": NumberType.choices,
            "next_query": next_query,
        },
    )


_ACTIONS = {
    "assign": (services.assign_number, "{dnis} is now assigned to {owner}."),
    "unassign": (services.unassign_number, "{dnis} is no longer assigned to {owner}."),
    "hold": (services.hold_number, "{dnis} is held for {owner} until {until}."),
}


@staff_required("numbers.assign")
def assign(request):
    actor = request.actor
    resolved = None
    if request.method == "POST":
        form = AssignForm(request.POST)
        action = request.POST.get("action", "assign")
        if action not in _ACTIONS:
            action = "assign"
        service, confirmation = _ACTIONS[action]
        if form.is_valid() and "@" in form.cleaned_data["subscriber_id"]:
            # A login email: say which account it is before acting on it.
            try:
                resolved = find_subscriber(
                    actor=actor, value=form.cleaned_data["subscriber_id"]
                )
            except DomainError as e:
                apply_errors(form, e)
            else:
                form = AssignForm(
                    {**request.POST.dict(), "subscriber_id": resolved.public_id}
                )
                form.is_valid()
        elif form.is_valid():
            data = form.cleaned_data
            try:
                if action == "unassign":
                    before = services.find_number(actor=actor, value=data["number"])
                    owner = before.subscriber
                line = service(
                    actor=actor,
                    number=data["number"],
                    subscriber_id=data["subscriber_id"],
                )
            except DomainError as e:
                apply_errors(form, e)
            else:
                if action != "unassign":
                    owner = line.subscriber
                messages.success(
                    request,
                    confirmation.format(
                        dnis=line.dnis,
                        owner=f"{owner.full_name} (Subscriber ID {owner.public_id})",
                        until=line.held_until
                        and timezones.viewer_datetime(line.held_until),
                    ),
                )
                if request.POST.get("return_to") == "subscriber":
                    return redirect(
                        reverse("subscriber-detail", args=[owner.public_id])
                        + "#numbers"
                    )
                query = urlencode({"number": line.dnis, "subscriber": owner.public_id})
                return redirect(f"{reverse('number-assign')}?{query}")
        subscriber = resolved or _carried(request, form.data.get("subscriber_id"))
    else:
        subscriber = _carried(request)
        form = AssignForm(
            initial={
                "number": request.GET.get("number", "")[:40],
                "subscriber_id": subscriber.public_id
                if subscriber
                else request.GET.get("subscriber", "")[:40],
            }
        )
    return render(
        request,
        "numberpool/assign.html",
        {"form": form, "subscriber": subscriber, "resolved": resolved},
    )
