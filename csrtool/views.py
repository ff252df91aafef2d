from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from csrtool.features import dashboard
from csrtool.partners.access import staff_required
from csrtool.subscribers.models import Subscriber


@staff_required()
def home(request):
    """The partner dashboard: onboarding funnel, pool use, stuck subscribers."""
    actor = request.actor
    context = {"recent": [], "days": dashboard.parse_days(request.GET.get("days", ""))}
    if actor.can("subscribers.view"):
        context["recent"] = list(
            Subscriber.objects.for_actor(actor)
            .select_related("partner")
            .with_readiness()
            .newest_first()[:10]
        )
        context["funnel"] = dashboard.funnel(actor)
        context["stuck"] = dashboard.stuck(actor, days=context["days"])
    if actor.can("pool.view"):
        context["pool"] = dashboard.pool_use(actor)
    return render(request, "csrtool/home.html", context)


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
