"""Bulk add pages for partner admins: upload or paste a CSV, or give a range;
see every row's outcome; then import. And the pool's CSV export."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from csrtool.console import apply_errors, preview_upload
from csrtool.errors import DomainError, NotFound
from csrtool.numberpool import imports
from csrtool.numberpool.exports import export_file_name, export_numbers
from csrtool.numberpool.models import ImportStatus, NumberImport, NumberType
from csrtool.partners.access import staff_required
from csrtool.partners.models import Partner

ROWS_PER_PAGE = 100


class ImportFileForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        required=False,
        help_text="First line: number,dnis,type,country_code,area_code,subscriber_id "
        "(subscriber_id may be left empty).",
    )
    text = forms.CharField(
        label="Or paste the CSV lines, header first",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )

    def __init__(self, *args, partner_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if partner_choices is not None:
            self.fields["partner"] = forms.ChoiceField(
                label="Partner", choices=partner_choices, required=False
            )
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"


class ImportRangeForm(forms.Form):
    first = forms.CharField(label="First number", required=False)
    last = forms.CharField(label="Last number", required=False)
    number_type = forms.ChoiceField(label="Type", choices=NumberType.choices)
    area_code = forms.CharField(
        label="Area code",
        required=False,
        help_text="Leave empty to take each number's own area code.",
    )

    def __init__(self, *args, partner_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if partner_choices is not None:
            self.fields["partner"] = forms.ChoiceField(
                label="Partner", choices=partner_choices, required=False
            )
        for name in ("first", "last"):
            self.fields[name].widget.attrs.update(
                {"type": "tel", "autocomplete": "off", "required": True}
            )
        self.fields["area_code"].widget.attrs.update(
            {"inputmode": "numeric", "maxlength": 8}
        )


def _partner_choices(actor):
    if not actor.is_operator:
        return None
    return [("", "Choose a partner")] + [
        (p.slug, p.name) for p in Partner.objects.filter(is_active=True)
    ]


def _chosen_partner(actor, data):
    if not actor.is_operator:
        return None
    return Partner.objects.filter(slug=data.get("partner", "")).first()


@staff_required("pool.manage")
def import_start(request):
    actor = request.actor
    choices = _partner_choices(actor)
    file_form = ImportFileForm(partner_choices=choices, auto_id="file_%s")
    range_form = ImportRangeForm(partner_choices=choices, auto_id="range_%s")
    if request.method == "POST" and request.POST.get("source") == "range":
        range_form = ImportRangeForm(
            request.POST, partner_choices=choices, auto_id="range_%s"
        )
        if range_form.is_valid():
            data = range_form.cleaned_data
            try:
                job = imports.preview_range(
                    actor=actor,
                    first=data["first"],
                    last=data["last"],
                    number_type=data["number_type"],
                    area_code=data["area_code"],
                    partner=_chosen_partner(actor, data),
                )
            except DomainError as e:
                apply_errors(range_form, e)
            else:
                return redirect("number-import-detail", import_id=job.pk)
    elif request.method == "POST":
        file_form = ImportFileForm(
            request.POST, request.FILES, partner_choices=choices, auto_id="file_%s"
        )
        if file_form.is_valid():
            job = _preview_file(request, file_form)
            if job is not None:
                return redirect("number-import-detail", import_id=job.pk)
    recent = (
        NumberImport.objects.for_actor(actor)
        .select_related("partner")
        .defer("outcomes", "problems")
        .newest_first()[:20]
    )
    return render(
        request,
        "numberpool/import.html",
        {"file_form": file_form, "range_form": range_form, "recent": recent},
    )


def _preview_file(request, form):
    partner = _chosen_partner(request.actor, form.cleaned_data)
    return preview_upload(
        form,
        lambda upload: imports.preview_import(
            actor=request.actor, upload=upload, partner=partner
        ),
    )


def _load(request, import_id) -> NumberImport:
    try:
        return imports.get_import(actor=request.actor, import_id=import_id)
    except NotFound:
        raise Http404 from None


@staff_required("pool.manage")
def import_detail(request, import_id):
    job = _load(request, import_id)
    errors_only = request.GET.get("show") == "errors"
    rows = imports.RecordedRows(job, errors_only=errors_only)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "numberpool/import_detail.html",
        {
            "job": job,
            "page": page,
            "errors_only": errors_only,
            "show": "errors" if errors_only else "",
            "written": job.status != ImportStatus.PREVIEWED,
            "in_progress": imports.import_in_progress(job),
        },
    )


@staff_required("pool.manage")
def import_progress(request, import_id):
    """How far the import's background job has got, for the page's script."""
    job = _load(request, import_id)
    return JsonResponse(
        {
            "status": job.status,
            "in_progress": imports.import_in_progress(job),
            "rows_done": job.rows_done,
            "total_rows": job.total_rows,
            "percent_done": job.percent_done,
            "added": job.added,
        }
    )


@require_POST
@staff_required("pool.manage")
def import_run(request, import_id):
    """Import / Continue import: a background job writes the rows."""
    job = _load(request, import_id)
    try:
        job = imports.start_import(actor=request.actor, import_id=job.pk)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        if job.status == ImportStatus.COMPLETED:
            messages.info(request, "This import has already finished.")
        else:
            messages.success(
                request,
                "Import started. You can leave this page; the import continues "
                "and its progress shows here.",
            )
    return redirect("number-import-detail", import_id=job.pk)


@staff_required("pool.view")
def export(request):
    actor = request.actor
    partner = None
    if actor.is_operator:
        partner = Partner.objects.filter(slug=request.GET.get("partner", "")).first()
    try:
        lines = export_numbers(actor=actor, partner=partner)
    except NotFound:
        raise Http404 from None
    partner = partner or actor.partner
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{export_file_name(partner, timezone.now())}"'
    )
    return response
