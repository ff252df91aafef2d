from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from csrtool.api import services
from csrtool.api.forms import ApiKeyForm
from csrtool.api.models import ApiKey
from csrtool.console import apply_errors
from csrtool.errors import DomainError
from csrtool.partners.access import staff_required
from csrtool.partners.second_factor_views import fresh_second_factor


@staff_required("keys.manage")
@fresh_second_factor()
def api_keys(request):
    actor = request.actor
    secret = None
    if request.method == "POST" and not actor.is_operator:
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            try:
                key, secret = services.create_api_key(actor=actor, **form.cleaned_data)
            except DomainError as e:
                apply_errors(form, e)
            else:
                form = ApiKeyForm()
    else:
        form = ApiKeyForm()
    keys = ApiKey.objects.for_actor(actor).select_related("partner", "created_by")
    return render(
        request,
        "api/keys.html",
        {"form": form, "keys": keys.order_by("-created_at"), "secret": secret},
    )


@require_POST
@staff_required("keys.manage")
def revoke(request, prefix):
    try:
        key = services.revoke_api_key(actor=request.actor, prefix=prefix)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, f"API key {key.name} ({key.prefix}) revoked.")
    return redirect("api-keys")
