"""The CSR console's frame: its left-hand menu and what every page shares."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_noop

from csrtool.errors import DomainError, ValidationFailed
from csrtool.partners.access import PERMISSIONS


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    permission: str
    section: str
    # For who has `permission` but not this one, the entry only reads: it says so.
    manage_permission: str = ""
    view_only_label: str = ""


# The seed's menu, in the original's order; pages that later work brings are
# marked "not yet available" until their URL exists.
MENU = [
    MenuItem("Add Enterprise Account", "subscriber-add", "subscribers.add", "Accounts"),
    MenuItem("Subscriber Lookup", "subscriber-lookup", "subscribers.view", "Accounts"),
    MenuItem(
        "Assign/Unassign Number", "number-assign", "numbers.assign", "Phone Lines"
    ),
    MenuItem(
        "Number Pool Admin",
        "pool-admin",
        "pool.view",
        "Phone Lines",
        manage_permission="pool.manage",
        view_only_label="Number Pool (view only)",
    ),
    MenuItem("Phone Line Lookup", "line-lookup", "pool.view", "Phone Lines"),
    MenuItem(
        "Browse Available Numbers", "numbers-available", "pool.view", "Phone Lines"
    ),
    MenuItem("CX Builder Features", "features", "features.view", "Features"),
    MenuItem("Feature Plans", "feature-plans", "features.view", "Features"),
    MenuItem("Feature Catalog", "feature-catalog", "catalog.manage", "Features"),
    MenuItem("Audit Log", "audit-log", "audit.view", "Administration"),
    MenuItem("Staff", "staff-list", "staff.view", "Administration"),
    MenuItem("API Keys", "api-keys", "keys.manage", "Administration"),
    MenuItem("Webhooks", "webhook-endpoints", "partner.settings", "Administration"),
    MenuItem(
        "Partner Settings", "partner-settings", "partner.settings", "Administration"
    ),
    MenuItem(
        "Subscriber Emails", "email-templates", "partner.settings", "Administration"
    ),
    MenuItem(
        "Single Sign-On", "partner-single-sign-on", "partner.settings", "Administration"
    ),
    MenuItem("Partners", "partner-list", "partners.manage", "Administration"),
]


# The subscriber's own CX Builder account pages (the portal).
# (Labels are translated where the menu is drawn: portal/base.html.)
PORTAL_MENU = [
    (gettext_noop("Account"), "portal-home"),
    (gettext_noop("Phone Numbers"), "portal-numbers"),
    (gettext_noop("Account Settings"), "portal-settings"),
]


def _menu_for(request):
    actor = getattr(request, "actor", None)
    if actor is None:
        return []
    current = request.resolver_match.url_name if request.resolver_match else ""
    sections: dict[str, list[dict]] = {}
    for item in MENU:
        if not actor.can(item.permission):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            url = None
        label = item.label
        if item.manage_permission and not actor.can(item.manage_permission):
            label = item.view_only_label
        sections.setdefault(item.section, []).append(
            {"label": label, "url": url, "current": item.url_name == current}
        )
    return list(sections.items())


def console_context(request):
    actor = getattr(request, "actor", None)
    return {
        "menu_sections": _menu_for(request),
        "actor": actor,
        "can": PERMISSIONS.get(actor.role, frozenset()) if actor else frozenset(),
        "portal_menu": PORTAL_MENU,
    }


def apply_errors(form, error: DomainError) -> None:
    """Put a service's errors next to the fields they belong to."""
    if isinstance(error, ValidationFailed):
        for field, messages in error.errors.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
    else:
        form.add_error(
            error.field if error.field in form.fields else None, error.message
        )


MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def preview_upload(form, preview, *, max_bytes=MAX_UPLOAD_BYTES):
    """Hand a form's CSV (an uploaded `file` or pasted `text`) to
    `preview(upload)`, as a `csvfiles.Upload` named as it was uploaded, and
    return what it returns. Every refusal (nothing given, too large, not UTF-8,
    a bad header or row) becomes the form's error, on the field that held the
    CSV; then None."""
    from csrtool.csvfiles import Upload

    upload = form.cleaned_data.get("file")
    pasted = form.cleaned_data.get("text") or ""
    if upload is None and not pasted.strip():
        form.add_error("file", "Choose a CSV file or paste its lines.")
        return None
    if upload is not None and upload.size > max_bytes:
        form.add_error(
            "file",
            f"The file is larger than {max_bytes // (1024 * 1024)} MB. "
            "Split it into smaller files.",
        )
        return None
    try:
        if upload is not None:
            source = Upload.from_stream(upload, name=upload.name)
        else:
            text = pasted.replace("\r\n", "\n")
            source = Upload.from_text(text, name="Pasted lines")
        with source:
            return preview(source)
    except DomainError as e:
        field = "file" if upload is not None else "text"
        if getattr(e, "errors", None) and "file" in e.errors:
            e.errors = {field: e.errors.pop("file"), **e.errors}
        elif e.field is None:
            e.field = field
        apply_errors(form, e)
        return None
