from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from csrtool.console import apply_errors
from csrtool.errors import DomainError, NotFound, ValidationFailed
from csrtool.features import services
from csrtool.features.catalog import feature_state, grantable_keys, load_catalog
from csrtool.features.forms import CatalogFeatureForm, PickSubscriberForm, PlanForm
from csrtool.features.models import EntitlementSet, Feature, Plan, Source
from csrtool.features.readiness import readiness_of
from csrtool.partners.access import staff_required
from csrtool.partners.models import Partner
from csrtool.subscribers.models import Subscriber
from csrtool.subscribers.services import find_subscriber


def _messages_of(error: DomainError) -> list[str]:
    if isinstance(error, ValidationFailed):
        return [m for ms in error.errors.values() for m in ms]
    return [error.message]


def _checkboxes(catalog, keys, checked, notes=None) -> list[dict]:
    notes = notes or {}
    return [
        {
            "key": f.key,
            "name": f.name,
            "description": f.description,
            "checked": f.key in checked,
            "note": notes.get(f.key, ""),
            "needs": catalog.names(catalog.requires.get(f.key, ())),
        }
        for f in catalog.ordered(keys)
    ]


def _features_url(public_id: str) -> str:
    return f"{reverse('features')}?{urlencode({'subscriber': public_id})}"


@staff_required("features.view")
def subscriber_features(request):
    """CX Builder Features: one subscriber's features as checkboxes, saved at once."""
    actor = request.actor
    source = request.POST if request.method == "POST" else request.GET
    public_id = source.get("subscriber", "").strip()
    if not public_id:
        return render(request, "features/pick.html", {"form": PickSubscriberForm()})
    try:
        subscriber = find_subscriber(actor=actor, value=public_id)
    except NotFound as e:
        form = PickSubscriberForm({"subscriber": public_id})
        form.is_valid()
        form.add_error("subscriber", e.message)
        return render(request, "features/pick.html", {"form": form}, status=404)
    catalog = load_catalog()
    confirm, errors, requested = None, [], None
    if request.method == "POST":
        if not actor.can("features.change"):
            raise Http404
        reason = request.POST.get("reason", "")
        try:
            if request.POST.get("action") == "plan":
                change = services.apply_plan(
                    actor=actor,
                    public_id=subscriber.public_id,
                    plan_id=request.POST.get("plan") or None,
                    reason=reason,
                )
            else:
                requested = set(request.POST.getlist("features"))
                change = services.change_features(
                    actor=actor,
                    public_id=subscriber.public_id,
                    features=requested,
                    enable_dependencies=request.POST.get("enable_dependencies") == "1",
                    disable_dependents=request.POST.get("disable_dependents") == "1",
                    reason=reason,
                )
        except services.DependencyConflict as e:
            confirm = {
                "error": e,
                "names": catalog.names(e.features),
                "count": len(e.features),
                "features": sorted(requested or ()),
                "reason": reason,
                "return_to": request.POST.get("return_to") == "subscriber",
            }
        except DomainError as e:
            errors = _messages_of(e)
        else:
            messages.success(
                request, f"{subscriber.full_name}: {change.summary(catalog)}"
            )
            if request.POST.get("return_to") == "subscriber":
                return redirect(
                    reverse("subscriber-detail", args=[subscriber.public_id])
                    + "#features"
                )
            return redirect(_features_url(subscriber.public_id))
    state = feature_state(subscriber)
    grantable = grantable_keys(subscriber.partner)
    checked = requested if requested is not None else state.enabled
    notes = {}
    for key, how in state.sources.items():
        if how == Source.PLAN:
            notes[key] = f"From the plan {state.plan_name}"
        elif how == Source.REMOVED:
            notes[key] = f"Removed from the plan {state.plan_name}"
        elif state.plan:
            notes[key] = "Added to the plan"
        else:
            notes[key] = "Enabled individually"
    for key in state.enabled - grantable:
        notes[key] = (
            notes.get(key, "") + ". No longer grantable: once disabled it "
            "cannot be enabled again."
        ).lstrip(". ")
    plans = Plan.objects.for_partner(subscriber.partner).prefetch_related("features")
    can_change = actor.can("features.change") and subscriber.status != "closed"
    return render(
        request,
        "features/subscriber.html",
        {
            "subscriber": subscriber,
            "resolved_from": public_id if "@" in public_id else "",
            "state": state,
            "readiness": readiness_of(subscriber),
            "features": _checkboxes(
                catalog, grantable | state.enabled | state.plan_keys, checked, notes
            ),
            "plans": plans,
            "confirm": confirm,
            "errors": errors,
            "can_change": can_change,
            "readonly": not can_change,
        },
        status=400 if errors else 200,
    )


def _bulk_choices(request):
    """What a bulk form asks for: (plan_id, enable, disable, reason)."""
    data = request.POST
    enable = [k[8:] for k, v in data.items() if k.startswith("feature_") and v == "on"]
    disable = [
        k[8:] for k, v in data.items() if k.startswith("feature_") and v == "off"
    ]
    plan_id = data.get("plan") or None
    if data.get("operation") == "features":
        plan_id = None
    elif data.get("operation") == "plan":
        enable, disable = [], []
    return plan_id, enable, disable, data.get("reason", "")


def _bulk_row(catalog, row) -> dict:
    change = row.change
    if change is None:
        return {"row": row, "error": row.error or "Not changed."}
    return {
        "row": row,
        "plan_before": change.before["plan"],
        "plan_after": change.after["plan"],
        "added": catalog.names(change.added),
        "removed": catalog.names(change.removed),
        "after": catalog.names(change.after["features"]),
    }


@staff_required("features.change")
def bulk(request):
    """Apply a plan or a feature change to subscribers picked in Subscriber Lookup."""
    actor = request.actor
    source = request.POST if request.method == "POST" else request.GET
    ids = [i.strip().lower() for i in source.getlist("subscriber") if i.strip()]
    catalog = load_catalog()
    if actor.partner is not None:
        keys = grantable_keys(actor.partner)
    else:
        keys = set(Feature.objects.active().values_list("key", flat=True))
    plans = Plan.objects.for_actor(actor).select_related("partner")
    rows, errors, applied = None, [], False
    choice = {"operation": "", "plan": "", "features": {}, "reason": ""}
    if request.method == "POST":
        plan_id, enable, disable, reason = _bulk_choices(request)
        choice = {
            "operation": request.POST.get("operation", ""),
            "plan": str(plan_id or ""),
            "features": {
                **dict.fromkeys(enable, "on"),
                **dict.fromkeys(disable, "off"),
            },
            "reason": reason,
        }
        run = (
            services.apply_bulk_change
            if request.POST.get("action") == "apply"
            else services.preview_bulk_change
        )
        extra = {"reason": reason} if run is services.apply_bulk_change else {}
        try:
            rows = run(
                actor=actor,
                public_ids=ids,
                plan_id=plan_id,
                enable=enable,
                disable=disable,
                **extra,
            )
        except DomainError as e:
            errors = _messages_of(e)
        else:
            applied = run is services.apply_bulk_change
            if applied:
                changed = sum(1 for r in rows if r.change and r.change.changed)
                skipped = sum(1 for r in rows if r.error)
                messages.success(
                    request,
                    f"Changed {changed} subscriber{'s' if changed != 1 else ''}"
                    + (f"; {skipped} skipped (see below)." if skipped else "."),
                )
    selected = list(
        Subscriber.objects.for_actor(actor).filter(public_id__in=ids).newest_first()
    )
    features = [
        {**f, "choice": choice["features"].get(f["key"], "")}
        for f in _checkboxes(catalog, keys, set())
    ]
    return render(
        request,
        "features/bulk.html",
        {
            "ids": ids,
            "selected": selected,
            "unknown": len(set(ids) - {s.public_id for s in selected}),
            "plans": plans,
            "features": features,
            "choice": choice,
            "rows": None if rows is None else [_bulk_row(catalog, r) for r in rows],
            "applied": applied,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


# Plans, for the partner admin.


def _plan_page(request, *, plan=None):
    actor = request.actor
    partner = plan.partner if plan else actor.partner
    if partner is None:
        # The operator manages the catalog; plans belong to partners.
        raise Http404
    catalog = load_catalog()
    keys = grantable_keys(partner)
    if request.method == "POST":
        form = PlanForm(request.POST)
        checked = set(request.POST.getlist("features"))
        # An invalid form (a NUL in a box) shows its field errors as they are.
        if form.is_valid():
            values = {
                "name": form.cleaned_data["name"],
                "description": form.cleaned_data["description"],
                "features": checked,
            }
            try:
                if plan:
                    services.update_plan(actor=actor, plan_id=plan.pk, **values)
                else:
                    services.create_plan(actor=actor, **values)
            except DomainError as e:
                apply_errors(form, e)
            else:
                messages.success(request, f"Plan {values['name']} saved.")
                return redirect("feature-plans")
    else:
        form = PlanForm(
            initial={"name": plan.name, "description": plan.description}
            if plan
            else None
        )
        checked = set(plan.features.values_list("key", flat=True)) if plan else set()
    feature_errors = form.errors.get("features", [])
    return render(
        request,
        "features/plan_form.html",
        {
            "form": form,
            "plan": plan,
            "features": _checkboxes(catalog, keys | checked, checked),
            "feature_errors": feature_errors,
        },
    )


@staff_required("features.view")
def plans(request):
    actor = request.actor
    plan_list = Plan.objects.for_actor(actor).prefetch_related("features")
    plan_list = plan_list.select_related("partner").order_by("partner__name", "name")
    restricted, keys = (False, set())
    if actor.partner is not None:
        restricted, keys = services.entitlements_of(actor.partner)
    catalog = load_catalog()
    return render(
        request,
        "features/plans.html",
        {
            "plans": plan_list,
            "restricted": restricted,
            "grantable": catalog.ordered(keys),
        },
    )


@staff_required("plans.manage")
def plan_add(request):
    return _plan_page(request)


@staff_required("plans.manage")
def plan_edit(request, plan_id):
    try:
        plan = services.get_plan(actor=request.actor, plan_id=plan_id)
    except NotFound:
        raise Http404 from None
    return _plan_page(request, plan=plan)


@require_POST
@staff_required("plans.manage")
def plan_delete(request, plan_id):
    try:
        plan = services.get_plan(actor=request.actor, plan_id=plan_id)
        services.delete_plan(actor=request.actor, plan_id=plan.pk)
    except NotFound:
        raise Http404 from None
    messages.success(
        request,
        f"Plan {plan.name} deleted. Subscribers on it keep their features.",
    )
    return redirect("feature-plans")


# The catalog and entitlements, for the platform operator.


@staff_required("catalog.manage")
def catalog(request):
    catalog = load_catalog()
    restricted = {
        e.partner_id: e
        for e in EntitlementSet.objects.filter(restricted=True).prefetch_related(
            "features"
        )
    }
    partners = [
        {"partner": p, "entitlements": restricted.get(p.pk)}
        for p in Partner.objects.order_by("name")
    ]
    return render(
        request,
        "features/catalog.html",
        {
            "features": [
                {"feature": f, "needs": catalog.names(catalog.requires[f.key])}
                for f in catalog.ordered(catalog.features)
            ],
            "partners": partners,
        },
    )


@staff_required("catalog.manage")
def catalog_edit(request, key):
    catalog = load_catalog()
    feature = catalog.features.get(key)
    if feature is None:
        raise Http404
    if request.method == "POST":
        form = CatalogFeatureForm(request.POST)
        dependencies = set(request.POST.getlist("dependencies"))
        if form.is_valid():
            try:
                services.update_feature(
                    actor=request.actor,
                    key=key,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    dependencies=dependencies,
                    is_active=form.cleaned_data["is_active"],
                )
            except DomainError as e:
                apply_errors(form, e)
            else:
                messages.success(request, f"{form.cleaned_data['name']} saved.")
                return redirect("feature-catalog")
    else:
        form = CatalogFeatureForm(
            initial={
                "name": feature.name,
                "description": feature.description,
                "is_active": feature.is_active,
            }
        )
        dependencies = catalog.requires[key]
    others = set(catalog.features) - {key}
    return render(
        request,
        "features/catalog_edit.html",
        {
            "form": form,
            "feature": feature,
            "dependencies": _checkboxes(catalog, others, dependencies),
            "dependency_errors": form.errors.get("dependencies", []),
        },
    )


@staff_required("catalog.manage")
def entitlements(request, slug):
    partner = Partner.objects.filter(slug=slug).first()
    if partner is None:
        raise Http404
    catalog = load_catalog()
    errors = []
    restricted, keys = services.entitlements_of(partner)
    if request.method == "POST":
        restricted = request.POST.get("scope") == "restricted"
        keys = set(request.POST.getlist("features"))
        try:
            services.set_entitlements(
                actor=request.actor,
                partner=partner,
                features=keys if restricted else None,
            )
        except DomainError as e:
            errors = _messages_of(e)
        else:
            messages.success(request, f"Entitlements of {partner.name} saved.")
            return redirect("feature-catalog")
    active = set(Feature.objects.active().values_list("key", flat=True))
    return render(
        request,
        "features/entitlements.html",
        {
            "partner": partner,
            "restricted": restricted,
            "features": _checkboxes(catalog, active | keys, keys),
            "errors": errors,
        },
        status=400 if errors else 200,
    )
