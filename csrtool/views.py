from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from csrtool.partners.access import staff_required
from csrtool.subscribers.models import Subscriber


@staff_required()
def home(request):
    actor = request.actor
    recent = []
    if actor.can("subscribers.view"):
        recent = list(
            Subscriber.objects.for_actor(actor)
            .select_related("partner")
            .newest_first()[:10]
        )
    return render(request, "csrtool/home.html", {"recent": recent})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
