from django.http import StreamingHttpResponse
from django.shortcuts import render

from csrtool.audit.listing import (
    FILTERS,
    actions_in_trail,
    export_filename,
    export_rows,
    newest_events,
)
from csrtool.partners.access import staff_required
from csrtool.partners.second_factor_views import fresh_second_factor


@staff_required("audit.view")
def audit_log(request):
    actions = actions_in_trail(request.actor)
    page = newest_events(
        request.actor, request.GET, request.GET.get("after"), 100, actions
    )
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "audit/log.html",
        {
            "page": page,
            "filters": {name: request.GET.get(name, "") for name in FILTERS},
            "actions": actions,
            "querystring": query.urlencode(),
        },
    )


@staff_required("audit.export")
@fresh_second_factor(methods=("GET",))
def audit_export(request):
    response = StreamingHttpResponse(
        export_rows(request.actor, request.GET),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename()}"'
    return response
