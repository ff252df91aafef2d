from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from csrtool import timezones
from csrtool.audit.models import AuditEvent
from csrtool.console import apply_errors
from csrtool.errors import DomainError, NotFound
from csrtool.features.readiness import annotate_readiness, readiness_of
from csrtool.partners.access import staff_required
from csrtool.subscribers import services
from csrtool.subscribers.forms import StatusForm, SubscriberEditForm
from csrtool.subscribers.models import Status, Subscriber
from csrtool.subscribers.search import TRIGRAM_MIN, lookup_for
from csrtool.workflows.new_account import numbers_for

# The subscriber page offers a few numbers in place; digits narrow them.
HUB_NUMBER_CHOICES = 8


def _zone_context():
    return {"zone_choices": timezones.zone_choices(timezone.now())}


def _load(request, public_id) -> Subscriber:
    try:
        return services.get_subscriber(actor=request.actor, public_id=public_id)
    except NotFound:
        raise Http404 from None


@staff_required("subscribers.view")
def lookup(request):
    actor = request.actor
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    page = None
    if query or status:
        page = lookup_for(
            actor,
            query,
            status=status if status in Status.values else "",
            annotate=annotate_readiness,
            cursor=request.GET.get("after"),
            size=50,
        )
    return render(
        request,
        "subscribers/lookup.html",
        {
            "query": query,
            "status": status,
            "statuses": Status.choices,
            "page": page,
            "short_query": 0 < len(query) < TRIGRAM_MIN,
        },
    )


@staff_required("subscribers.view")
def detail(request, public_id):
    subscriber = _load(request, public_id)
    events = AuditEvent.objects.for_actor(request.actor, tested=True).history_of(
        "subscriber", subscriber.public_id
    )[:100]
    number_choices, digits = None, request.GET.get("number_digits", "").strip()[:20]
    if request.actor.can("numbers.assign") and subscriber.status != Status.CLOSED:
        number_choices = numbers_for(
            actor=request.actor,
            partner=subscriber.partner,
            phone=subscriber.phone,
            digits=digits,
            limit=HUB_NUMBER_CHOICES,
        )
    return render(
        request,
        "subscribers/detail.html",
        {
            "subscriber": subscriber,
            "number_choices": number_choices,
            "readiness": readiness_of(subscriber),
            "number_digits": digits,
            "events": events,
            "today": timezone.now(),
            "status_form": StatusForm(),
        },
    )


@staff_required("subscribers.change")
def edit(request, public_id):
    subscriber = _load(request, public_id)
    if request.method == "POST":
        form = SubscriberEditForm(request.POST)
        if form.is_valid():
            changes = dict(form.cleaned_data)
            if not changes["language"]:
                del changes["language"]  # a form without the choice keeps it
            try:
                services.update_subscriber(
                    actor=request.actor,
                    public_id=subscriber.public_id,
                    **changes,
                )
            except DomainError as e:
                apply_errors(form, e)
            else:
                messages.success(request, "Changes saved.")
                return redirect("subscriber-detail", public_id=subscriber.public_id)
    else:
        form = SubscriberEditForm(
            initial={
                "first_name": subscriber.first_name,
                "last_name": subscriber.last_name,
                "contact_email": subscriber.contact_email,
                "phone": subscriber.phone_display,
                "time_zone": subscriber.time_zone,
                "language": subscriber.language,
                "billing_id": subscriber.billing_id,
            }
        )
    return render(
        request,
        "subscribers/edit.html",
        {"form": form, "subscriber": subscriber, **_zone_context()},
    )


@require_POST
@staff_required("subscribers.change")
def change_status(request, public_id):
    subscriber = _load(request, public_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what to do with the account.")
    else:
        try:
            services.change_status(
                actor=request.actor,
                public_id=subscriber.public_id,
                transition=form.cleaned_data["transition"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as e:
            messages.error(request, e.message)
        else:
            subscriber.refresh_from_db()
            messages.success(
                request,
                f"The account is now {subscriber.get_status_display().lower()}.",
            )
    return redirect("subscriber-detail", public_id=subscriber.public_id)
