"""Add Enterprise Account in one sitting: the account, its phone number and its
features on one form, submitted once (workflows.new_account does the writing).

Without JavaScript the number list is a plain radio list that "Find numbers"
narrows by reloading the form; with it, typing narrows the same list in place
through `number_choices`, which renders the list alone.
"""

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from csrtool import timezones
from csrtool.console import apply_errors
from csrtool.errors import DomainError, NotFound
from csrtool.features.catalog import feature_state, grantable_keys, load_catalog
from csrtool.features.models import Plan
from csrtool.features.readiness import readiness_of
from csrtool.features.services import DependencyConflict
from csrtool.numberpool.models import NumberStatus
from csrtool.onboarding.models import EmailKind, OutboundEmail
from csrtool.partners.access import staff_required
from csrtool.partners.models import Partner
from csrtool.subscribers.forms import SubscriberForm
from csrtool.subscribers.services import get_subscriber
from csrtool.workflows.new_account import numbers_for, open_account


def _partner_of(request, source) -> Partner | None:
    actor = request.actor
    if actor.partner is not None:
        return actor.partner
    if not actor.is_operator:
        return None
    slug = str(source.get("partner", "")).strip()
    return Partner.objects.filter(slug=slug, is_active=True).first() if slug else None


def _number_list(request, partner, source) -> dict:
    """The radio list of numbers that fit the contact phone, narrowed by digits."""
    if partner is None or not request.actor.can("numbers.assign"):
        return {"numbers": None}
    digits = str(source.get("number_digits", "")).strip()[:20]
    found = numbers_for(
        actor=request.actor,
        partner=partner,
        phone=str(source.get("phone", ""))[:40],
        digits=digits,
    )
    return {
        "numbers": found,
        "near_count": sum(1 for _, near in found if near),
        "digits": digits,
        "chosen": str(source.get("number", "")),
    }


def _feature_choices(request, partner, form) -> dict:
    if partner is None or not request.actor.can("features.change"):
        return {"feature_items": None}
    catalog = load_catalog()
    grantable = grantable_keys(partner)
    chosen = set(form.data.getlist("features")) if form.is_bound else set()
    chosen = {str(k) for k in chosen}
    items = [
        {
            "key": f.key,
            "name": f.name,
            "description": f.description,
            "checked": f.key in chosen,
            "needs": catalog.names(catalog.requires.get(f.key, ())),
        }
        for f in catalog.ordered(grantable)
    ]
    plans = Plan.objects.for_partner(partner).prefetch_related("features")
    return {
        "feature_items": items,
        "feature_errors": form.errors.get("features", []),
        "plans": plans,
        "chosen_plan": form.data.get("plan", "") if form.is_bound else "",
    }


@staff_required("subscribers.add")
def add(request):
    actor = request.actor
    partner_choices = None
    if actor.is_operator:
        partner_choices = [("", "Choose a partner")] + [
            (p.slug, p.name) for p in Partner.objects.filter(is_active=True)
        ]
    confirm = None
    source = request.POST if request.method == "POST" else request.GET
    partner = _partner_of(request, source)
    if request.method == "POST":
        form = SubscriberForm(request.POST, partner_choices=partner_choices)
        finding = request.POST.get("action") == "find"
        if form.is_valid() and not finding:
            data = dict(form.cleaned_data)
            data.pop("partner", None)
            data.pop("number_digits", None)
            try:
                new = open_account(
                    actor=actor,
                    partner=partner if actor.is_operator else None,
                    enable_dependencies=request.POST.get("enable_dependencies") == "1",
                    **data,
                )
            except DependencyConflict as e:
                confirm = {"error": e, "names": load_catalog().names(e.features)}
            except DomainError as e:
                apply_errors(form, e)
            else:
                return redirect(
                    "subscriber-created", public_id=new.subscriber.public_id
                )
    else:
        default_zone = actor.partner.time_zone if actor.partner else "UTC"
        form = SubscriberForm(
            initial={
                "time_zone": default_zone,
                "language": actor.partner.default_language if actor.partner else "",
            },
            partner_choices=partner_choices,
        )
    return render(
        request,
        "subscribers/add.html",
        {
            "form": form,
            "confirm": confirm,
            "zone_choices": timezones.zone_choices(timezone.now()),
            **_number_list(request, partner, source),
            **_feature_choices(request, partner, form),
        },
        status=409 if confirm else 200,
    )


@staff_required("numbers.assign")
def number_choices(request):
    """The number list of Add Enterprise Account alone, for typing to narrow it."""
    partner = _partner_of(request, request.GET)
    if partner is None:
        raise Http404
    return render(
        request,
        "subscribers/number_choices.html",
        {
            **_number_list(request, partner, request.GET),
            "no_none": request.GET.get("none") == "0",
        },
    )


@staff_required("subscribers.view")
def created(request, public_id):
    try:
        subscriber = get_subscriber(actor=request.actor, public_id=public_id)
    except NotFound:
        raise Http404 from None
    state = feature_state(subscriber)
    catalog = load_catalog()
    welcome = (
        OutboundEmail.objects.filter(subscriber=subscriber, kind=EmailKind.WELCOME)
        .order_by("-created_at")
        .first()
    )
    return render(
        request,
        "subscribers/created.html",
        {
            "subscriber": subscriber,
            "numbers": subscriber.numbers.filter(status=NumberStatus.ASSIGNED),
            "features": catalog.names(state.enabled) if state.enabled else "",
            "plan": state.plan_name if state.plan else "",
            "welcome": welcome,
            "readiness": readiness_of(subscriber),
            "today": timezone.now(),
        },
    )
