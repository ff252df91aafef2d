from django.http import StreamingHttpResponse
from django.shortcuts import render

from csrtool.audit.listing import FILTERS, export_filename, export_rows, filtered_events
from csrtool.audit.models import AuditEvent
from csrtool.pagination import keyset_page
from csrtool.partners.access import staff_required
from csrtool.partners.second_factor_views import fresh_second_factor


@staff_required("audit.view")
def audit_log(request):
    events = filtered_events(request.actor, request.GET)
    page = keyset_page(events, request.GET.get("after"), size=100)
    actions = (
        AuditEvent.objects.for_actor(request.actor)
        .order_by()
        .values_list("action", flat=True)
        .distinct()
    )
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "audit/log.html",
        {
            "page": page,
            "filters": {name: request.GET.get(name, "") for name in FILTERS},
            "actions": sorted(actions),
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
