"""Administration › Webhooks: a partner admin's endpoints and their delivery logs."""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from csrtool.console import apply_errors
from csrtool.errors import DomainError
from csrtool.partners.access import staff_required
from csrtool.webhooks import services
from csrtool.webhooks.forms import EndpointEditForm, EndpointForm, SendAgainForm
from csrtool.webhooks.models import WebhookDelivery, WebhookEndpoint

LOG_SIZE = 50


@staff_required("partner.settings")
def endpoints(request):
    actor = request.actor
    secret = created = None
    if request.method == "POST" and not actor.is_operator:
        form = EndpointForm(request.POST)
        if form.is_valid():
            try:
                created, secret = services.create_endpoint(
                    actor=actor, **form.cleaned_data
                )
            except DomainError as e:
                apply_errors(form, e)
            else:
                form = EndpointForm()
    else:
        form = EndpointForm()
    listed = WebhookEndpoint.objects.for_actor(actor).select_related("partner")
    return render(
        request,
        "webhooks/endpoints.html",
        {
            "form": form,
            "endpoints": listed.order_by("partner__slug", "created_at", "id"),
            "secret": secret,
            "created": created,
        },
    )


def _page(request, endpoint, *, form=None, again=None, secret=None, status=200):
    deliveries = (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related("attempt_log")
        .order_by("-created_at", "-id")[:LOG_SIZE]
    )
    form = form or EndpointEditForm(
        initial={
            "url": endpoint.url,
            "description": endpoint.description,
            "event_types": endpoint.event_types,
            "enabled": endpoint.is_enabled,
        }
    )
    return render(
        request,
        "webhooks/endpoint.html",
        {
            "endpoint": endpoint,
            "form": form,
            "again": again or SendAgainForm(),
            "secret": secret,
            "deliveries": deliveries,
        },
        status=status,
    )


@staff_required("partner.settings")
def endpoint_detail(request, endpoint_id):
    try:
        endpoint = services.find_endpoint(actor=request.actor, endpoint_id=endpoint_id)
    except DomainError:
        from django.http import Http404

        raise Http404 from None
    if request.method != "POST":
        return _page(request, endpoint)
    form = EndpointEditForm(request.POST)
    if form.is_valid():
        try:
            services.update_endpoint(
                actor=request.actor, endpoint_id=endpoint_id, **form.cleaned_data
            )
        except DomainError as e:
            apply_errors(form, e)
        else:
            messages.success(request, "Webhook endpoint saved.")
            return redirect("webhook-endpoint", endpoint_id)
    return _page(request, endpoint, form=form, status=400)


def _action(request, endpoint_id, run):
    try:
        return run()
    except DomainError as e:
        if e.code == "not_found" and e.field == "endpoint_id":
            from django.http import Http404

            raise Http404 from None
        messages.error(request, e.message)
        return redirect("webhook-endpoint", endpoint_id)


@require_POST
@staff_required("partner.settings")
def rotate(request, endpoint_id):
    def run():
        endpoint, secret = services.rotate_secret(
            actor=request.actor, endpoint_id=endpoint_id
        )
        return _page(request, endpoint, secret=secret)

    return _action(request, endpoint_id, run)


@require_POST
@staff_required("partner.settings")
def delete(request, endpoint_id):
    def run():
        services.delete_endpoint(actor=request.actor, endpoint_id=endpoint_id)
        messages.success(request, "Webhook endpoint removed.")
        return redirect("webhook-endpoints")

    return _action(request, endpoint_id, run)


@require_POST
@staff_required("partner.settings")
def send_again(request, endpoint_id):
    def run():
        endpoint = services.find_endpoint(actor=request.actor, endpoint_id=endpoint_id)
        form = SendAgainForm(request.POST)
        if not form.is_valid():
            return _page(request, endpoint, again=form, status=400)
        zone = ZoneInfo(endpoint.partner.time_zone)
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
        if since is not None and timezone.is_naive(since):
            since = since.replace(tzinfo=zone)
        if until is not None and timezone.is_naive(until):
            until = until.replace(tzinfo=zone)
        queued = services.send_again(
            actor=request.actor,
            endpoint_id=endpoint_id,
            event_id=form.cleaned_data["event_id"],
            since=since,
            until=until,
        )
        messages.success(request, f"{queued} event(s) queued to be sent again.")
        return redirect("webhook-endpoint", endpoint_id)

    return _action(request, endpoint_id, run)
