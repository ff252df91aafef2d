"""The product's URLs plus one bare view: one indexed query, a small JSON
answer, through the same server and middleware. What any view of ours costs at
the least; the load run compares the product's pages and API with it."""

from django.http import JsonResponse
from django.urls import path

from bench.serve import BARE_PATH
from csrtool.subscribers.models import Subscriber
from csrtool.urls import urlpatterns as product_urls


def bare_lookup(request):
    email = request.GET.get("email", "").strip().lower()
    row = (
        Subscriber.objects.filter(email_canonical=email)
        .values("public_id", "first_name", "last_name", "email", "status")
        .first()
    )
    return JsonResponse(row or {}, status=200 if row else 404)


urlpatterns = [path(BARE_PATH, bare_lookup, name="bench-bare-lookup"), *product_urls]
