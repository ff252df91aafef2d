from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader

from csrtool.features import dashboard
from csrtool.features.readiness import annotate_readiness
from csrtool.health import work_health
from csrtool.partners.access import actor_from_request, staff_required
from csrtool.subscribers.models import Subscriber


@staff_required()
def home(request):
    """The partner dashboard: onboarding funnel, pool use, stuck subscribers."""
    actor = request.actor
    context = {"recent": [], "days": dashboard.parse_days(request.GET.get("days", ""))}
    if actor.can("subscribers.view"):
        context["recent"] = list(
            annotate_readiness(
                Subscriber.objects.for_actor(actor, with_partner=True)
            ).newest_first()[:10]
        )
        context["stuck"] = dashboard.stuck(actor, days=context["days"])
    if actor.can("subscribers.view") or actor.can("pool.view"):
        counted = dashboard.counts(actor)
        context["counted"] = counted
        counts = counted["counts"]
        if counts and actor.can("subscribers.view"):
            context["funnel"] = dashboard.funnel(counts["funnel"])
        if counts and actor.can("pool.view"):
            context["pool"] = dashboard.pool_use(counts["pool"])
    return render(request, "csrtool/home.html", context)


def healthz(request):
    """For monitoring: 200 when the database answers and background work is on
    time, 503 when a job has waited too long (see csrtool.health)."""
    report = work_health()
    return JsonResponse(report.as_dict(), status=503 if report.late else 200)


def _error_page(request, template: str, status: int):
    """The product's own error page: staff keep their menu, subscribers get a way
    back to their account, anyone else a way to sign in.

    Nothing in it depends on what was asked for (no path, no form token), so a
    foreign ID answers byte for byte like an unknown one.
    """
    user = getattr(request, "user", None)
    is_staff = bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (not user.partner_id or user.partner.is_active)
    )
    if is_staff and getattr(request, "actor", None) is None:
        request.actor = actor_from_request(request)
    portal = request.path.startswith("/portal/") and not is_staff
    context = {"error_page": True, "is_staff": is_staff, "portal": portal}
    return render(request, template, context, status=status)


def page_not_found(request, exception=None):
    return _error_page(request, "errors/404.html", 404)


def permission_denied(request, exception=None):
    return _error_page(request, "errors/403.html", 403)


def csrf_failure(request, reason=""):
    return _error_page(request, "errors/403_csrf.html", 403)


def server_error(request):
    # No request context: whatever failed may fail again while rendering it.
    return HttpResponseServerError(loader.get_template("errors/500.html").render())
