"""The Subscriber Emails pages: a partner admin's list of email kinds, and for
each its editor with a preview, "send a test to me" and "reset".

A partner admin edits its own partner's emails under /settings/emails/; the
platform operator any partner's under /partners/<slug>/emails/.
"""

from csp.decorators import csp_replace
from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from csrtool.console import apply_errors
from csrtool.errors import DomainError, NotFound, ValidationFailed
from csrtool.onboarding.email_templates import services
from csrtool.onboarding.email_templates.rules import (
    DEFAULT_LANGUAGE,
    PLACEHOLDERS,
)
from csrtool.partners.access import staff_required

# The preview frame shows the partner's HTML: no script at all, inline styles
# (as email clients show them), images from the web, framed by our pages only.
PREVIEW_POLICY = {
    "default-src": ["'none'"],
    "script-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["https:", "data:"],
    "frame-ancestors": ["'self'"],
    "form-action": ["'none'"],
    "base-uri": ["'none'"],
}


class EmailTemplateForm(forms.Form):
    subject = forms.CharField(label="Subject", required=False, strip=False)
    text = forms.CharField(
        label="Plain text",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "true"}),
    )
    html = forms.CharField(
        label="HTML",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text="The body between the sender line and the footer (support "
        "contact and footer links are added). Scripts, event handlers and "
        "javascript: links are removed.",
    )


def _where(request, slug):
    """The partner's slug and the URL names of its pages: a partner admin's own
    under /settings/, the operator's pick under /partners/<slug>/."""
    if slug is None:
        return request.actor.partner.slug, {}
    return slug, {"slug": slug}


def _url(name: str, where: dict, **kwargs) -> str:
    prefix = "partner-" if where else ""
    return reverse(prefix + name, kwargs={**where, **kwargs})


def _language(request) -> str:
    return (
        request.POST.get("language")
        or request.GET.get("language")
        or (DEFAULT_LANGUAGE)
    )


def _in_language(url: str, language: str) -> str:
    return f"{url}?{urlencode({'language': language})}"


def _list(request, slug=None):
    slug, where = _where(request, slug)
    language = _language(request)
    try:
        states = services.list_templates(
            actor=request.actor, slug=slug, language=language
        )
    except DomainError:
        raise Http404 from None
    return render(
        request,
        "onboarding/email_templates.html",
        {
            "partner": states[0].partner,
            "language": language,
            "languages": [
                (code, name, f"?{urlencode({'language': code})}")
                for code, name in settings.LANGUAGES
            ],
            "rows": [
                (
                    state,
                    _in_language(
                        _url("email-template", where, kind=state.kind), language
                    ),
                )
                for state in states
            ],
        },
    )


def _edit(request, kind, slug=None, *, test=False):
    slug, where = _where(request, slug)
    language = _language(request)
    try:
        state = services.get_template(
            actor=request.actor, slug=slug, kind=kind, language=language
        )
    except DomainError:
        raise Http404 from None
    status = 200
    if request.method == "POST":
        form = EmailTemplateForm(request.POST)
        form.is_valid()
        draft = {name: form.cleaned_data.get(name, "") for name in form.fields}
        try:
            if test:
                email = services.send_test(
                    actor=request.actor,
                    slug=slug,
                    kind=kind,
                    language=language,
                    draft=draft,
                )
            else:
                state, sanitised = services.save_template(
                    actor=request.actor,
                    slug=slug,
                    kind=kind,
                    language=language,
                    **draft,
                )
        except DomainError as e:
            apply_errors(form, e)
            status = e.status
        else:
            if test:
                messages.success(
                    request,
                    f"A test of this email, as typed, with a sample customer's "
                    f"details, is on its way to {email.recipient}.",
                )
            else:
                messages.success(request, f"The {state.label.lower()} email is saved.")
                if sanitised:
                    messages.warning(
                        request,
                        "The HTML was tidied, and markup email does not allow "
                        "(scripts, event handlers, javascript: links, forms…) "
                        "removed. Below is what was saved.",
                    )
                return redirect(
                    _in_language(_url("email-template", where, kind=kind), language)
                )
    else:
        form = EmailTemplateForm(initial=state.parts.as_dict())
    placeholders = [
        (name, PLACEHOLDERS[name], name in state.rules.required)
        for name in state.rules.placeholders
    ]
    return render(
        request,
        "onboarding/email_template.html",
        {
            "form": form,
            "state": state,
            "partner": state.partner,
            "language": language,
            "placeholders": placeholders,
            "subject_placeholders": state.rules.subject_placeholders,
            "list_url": _in_language(_url("email-templates", where), language),
            "preview_url": _url("email-template-preview", where, kind=kind),
            "test_url": _url("email-template-test", where, kind=kind),
            "reset_url": _url("email-template-reset", where, kind=kind),
        },
        status=status,
    )


def _reset(request, kind, slug=None):
    slug, where = _where(request, slug)
    try:
        state = services.reset_template(
            actor=request.actor, slug=slug, kind=kind, language=_language(request)
        )
    except NotFound:
        raise Http404 from None
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(
            request, f"The {state.label.lower()} email is back to the built-in one."
        )
    return redirect(
        _in_language(_url("email-template", where, kind=kind), _language(request))
    )


def _preview(request, kind, slug=None):
    slug, _ = _where(request, slug)
    draft = None
    if request.method == "POST":
        form = EmailTemplateForm(request.POST)
        form.is_valid()
        draft = {name: form.cleaned_data.get(name, "") for name in form.fields}
    errors = {}
    rendered = None
    try:
        rendered = services.preview(
            actor=request.actor,
            slug=slug,
            kind=kind,
            language=_language(request),
            draft=draft,
        )
    except ValidationFailed as e:
        errors = e.errors
    except DomainError:
        raise Http404 from None
    labels = {"subject": "Subject", "text": "Plain text", "html": "HTML"}
    return render(
        request,
        "onboarding/email_template_preview.html",
        {
            "rendered": rendered,
            "errors": [
                (labels.get(field, field), messages_)
                for field, messages_ in errors.items()
            ],
        },
    )


def _own_partner(request):
    """The operator has no partner of its own: it picks one first."""
    return redirect("partner-list") if request.actor.is_operator else None


@require_GET
@staff_required("partner.settings")
def email_templates(request):
    return _own_partner(request) or _list(request)


@require_http_methods(["GET", "POST"])
@staff_required("partner.settings")
def email_template(request, kind):
    return _own_partner(request) or _edit(request, kind)


@require_POST
@staff_required("partner.settings")
def email_template_test(request, kind):
    return _own_partner(request) or _edit(request, kind, test=True)


@require_POST
@staff_required("partner.settings")
def email_template_reset(request, kind):
    return _own_partner(request) or _reset(request, kind)


@require_http_methods(["GET", "POST"])
@staff_required("partner.settings")
@xframe_options_sameorigin
@csp_replace(PREVIEW_POLICY)
def email_template_preview(request, kind):
    if request.actor.is_operator:
        raise Http404
    return _preview(request, kind)


@require_GET
@staff_required("partners.manage")
def partner_email_templates(request, slug):
    return _list(request, slug)


@require_http_methods(["GET", "POST"])
@staff_required("partners.manage")
def partner_email_template(request, slug, kind):
    return _edit(request, kind, slug)


@require_POST
@staff_required("partners.manage")
def partner_email_template_test(request, slug, kind):
    return _edit(request, kind, slug, test=True)


@require_POST
@staff_required("partners.manage")
def partner_email_template_reset(request, slug, kind):
    return _reset(request, kind, slug)


@require_http_methods(["GET", "POST"])
@staff_required("partners.manage")
@xframe_options_sameorigin
@csp_replace(PREVIEW_POLICY)
def partner_email_template_preview(request, slug, kind):
    return _preview(request, kind, slug)
