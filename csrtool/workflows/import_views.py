"""Bulk onboarding pages: upload or paste a CSV of existing customers, see every
row's fate, import in the background, send the welcome emails, get the result."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from csrtool.console import preview_upload
from csrtool.errors import DomainError, NotFound
from csrtool.partners.access import staff_required
from csrtool.partners.models import Partner
from csrtool.subscribers.models import ImportStatus, SubscriberImport
from csrtool.workflows import bulk_onboarding

ROWS_PER_PAGE = 100


class AccountsFileForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        required=False,
        help_text="First line: " + ",".join(bulk_onboarding.COLUMNS) + " (number "
        "and plan may be left out or empty).",
    )
    text = forms.CharField(
        label="Or paste the CSV lines, header first",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )
    invite = forms.ChoiceField(
        label="Welcome emails",
        choices=[
            ("now", "Send each customer's welcome email as the account is created"),
            ("later", "Create the accounts now, send the welcome emails later"),
        ],
        initial="now",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, partner_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if partner_choices is not None:
            self.fields["partner"] = forms.ChoiceField(
                label="Partner", choices=partner_choices, required=False
            )
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"


def _partner_choices(actor):
    if not actor.is_operator:
        return None
    return [("", "Choose a partner")] + [
        (p.slug, p.name) for p in Partner.objects.filter(is_active=True)
    ]


@staff_required("subscribers.add")
def import_start(request):
    actor = request.actor
    choices = _partner_choices(actor)
    form = AccountsFileForm(partner_choices=choices)
    if request.method == "POST":
        form = AccountsFileForm(request.POST, request.FILES, partner_choices=choices)
        if form.is_valid():
            job = _preview(request, form)
            if job is not None:
                return redirect("subscriber-import-detail", import_id=job.pk)
    recent = (
        SubscriberImport.objects.for_actor(actor)
        .select_related("partner")
        .defer("content", "outcomes", "problems")
        .order_by("-created_at", "-id")[:20]
    )
    partner = actor.partner
    return render(
        request,
        "subscribers/import.html",
        {"form": form, "recent": recent, "partner": partner},
    )


def _preview(request, form):
    partner = None
    if request.actor.is_operator:
        slug = form.cleaned_data.get("partner", "")
        partner = Partner.objects.filter(slug=slug).first()

    def preview(upload):
        job, _ = bulk_onboarding.preview_import(
            actor=request.actor,
            text=upload.text(),
            file_name=upload.name,
            invite_now=form.cleaned_data["invite"] == "now",
            partner=partner,
        )
        return job

    return preview_upload(form, preview)


def _load(request, import_id) -> SubscriberImport:
    try:
        return bulk_onboarding.get_import(actor=request.actor, import_id=import_id)
    except NotFound:
        raise Http404 from None


@staff_required("subscribers.add")
def import_detail(request, import_id):
    job = _load(request, import_id)
    rows = bulk_onboarding.parse_accounts(job.content)
    ids = job.subscriber_ids()
    shown = []
    for row, letter in zip(rows, job.outcomes, strict=False):
        row.outcome = letter
        row.subscriber_id = ids.get(str(row.line), "")
        row.errors = [job.problems[str(row.line)]] if letter == "e" else []
        shown.append(row)
    errors_only = request.GET.get("show") == "errors"
    if errors_only:
        shown = [row for row in shown if row.errors]
    page = Paginator(shown, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    in_progress = bulk_onboarding.import_in_progress(job)
    return render(
        request,
        "subscribers/import_detail.html",
        {
            "job": job,
            "page": page,
            "errors_only": errors_only,
            "written": job.status != ImportStatus.PREVIEWED,
            "in_progress": in_progress,
            "waiting_invitations": (
                job.status == ImportStatus.COMPLETED
                and not job.invite_now
                and not job.invitations_queued
                and job.added
            ),
        },
    )


@require_POST
@staff_required("subscribers.add")
def import_run(request, import_id):
    job = _load(request, import_id)
    try:
        job = bulk_onboarding.start_import(actor=request.actor, import_id=job.pk)
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
    return redirect("subscriber-import-detail", import_id=job.pk)


@require_POST
@staff_required("subscribers.add")
def import_invite(request, import_id):
    job = _load(request, import_id)
    try:
        job = bulk_onboarding.send_invitations(actor=request.actor, import_id=job.pk)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(
            request,
            f"{job.invitations_queued} welcome emails queued; they go out "
            f"{job.partner.invitations_per_minute} a minute.",
        )
    return redirect("subscriber-import-detail", import_id=job.pk)


@staff_required("subscribers.add")
def import_result(request, import_id):
    job = _load(request, import_id)
    response = StreamingHttpResponse(
        bulk_onboarding.result_rows(job), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="subscriber-import-{job.pk}-result.csv"'
    )
    return response
