"""What each kind of subscriber email offers and needs, its built-in wording,
and the checks a partner's own template passes before it is saved."""

import re
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources

import nh3
from django.conf import settings

from csrtool.errors import NotFound, ValidationFailed
from csrtool.onboarding.email_templates import language as placeholders
from csrtool.onboarding.models import EmailKind
from csrtool.validation import refused_character

DEFAULT_LANGUAGE = "en"

# Every placeholder there is, and what it stands for (shown on the page).
PLACEHOLDERS = {
    "first_name": "The customer's first name",
    "last_name": "The customer's last name",
    "login_id": "The customer's login email",
    "product_name": "Your product name (Partner Settings)",
    "sender_name": "Your sender name (Partner Settings)",
    "support_email": "Your support email (Partner Settings); may be empty",
    "support_phone": "Your support phone (Partner Settings); may be empty",
    "brand_colour": "Your primary colour, #rrggbb (the product's blue if unset)",
    "link": "The link the customer opens (single use)",
    "expires_at": "When the link expires, in the customer's time zone",
    "time_zone": "The customer's time zone",
    "old_email": "The login email before the change",
    "new_email": "The new login email",
    "changed_at": "When the change was made, in the customer's time zone",
}
_COMMON = (
    "first_name",
    "last_name",
    "login_id",
    "product_name",
    "sender_name",
    "support_email",
    "support_phone",
)
_LINK = ("link", "expires_at", "time_zone")


@dataclass(frozen=True)
class KindRules:
    placeholders: tuple[str, ...]  # in the plain text and the HTML
    # The subject is written when the email is queued, before its link exists.
    subject_placeholders: tuple[str, ...]
    required: tuple[str, ...]  # in the plain text and the HTML alike


RULES = {
    EmailKind.WELCOME: KindRules(
        (*_COMMON, *_LINK, "brand_colour"), _COMMON, ("link",)
    ),
    EmailKind.PASSWORD_RESET: KindRules(
        (*_COMMON, *_LINK, "brand_colour"), _COMMON, ("link",)
    ),
    EmailKind.EMAIL_CHANGE: KindRules(
        (*_COMMON, *_LINK, "old_email", "new_email", "brand_colour"),
        (*_COMMON, "old_email", "new_email"),
        ("link",),
    ),
    EmailKind.PASSWORD_CHANGED: KindRules((*_COMMON, "brand_colour"), _COMMON, ()),
    EmailKind.EMAIL_CHANGED: KindRules(
        (*_COMMON, "old_email", "new_email", "brand_colour"),
        (*_COMMON, "old_email", "new_email"),
        (),
    ),
    EmailKind.PIN_CHANGED: KindRules(
        (*_COMMON, "changed_at", "time_zone", "brand_colour"), _COMMON, ()
    ),
    EmailKind.QUESTION_CHANGED: KindRules(
        (*_COMMON, "changed_at", "time_zone", "brand_colour"), _COMMON, ()
    ),
}

SUBJECT_MAX = 200
TEXT_MAX = 20_000
HTML_MAX = 50_000

# What the HTML part may hold: ammonia's safe defaults, plus inline styles (email
# clients ignore style sheets) limited to these properties, and the layout
# attributes of email tables. No script, no event handler, no style element, and
# links only to web, mail and phone addresses.
_CSS = {
    "background",
    "background-color",
    "border",
    "border-collapse",
    "border-radius",
    "color",
    "display",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "height",
    "line-height",
    "margin",
    "margin-bottom",
    "margin-left",
    "margin-right",
    "margin-top",
    "max-width",
    "padding",
    "padding-bottom",
    "padding-left",
    "padding-right",
    "padding-top",
    "text-align",
    "text-decoration",
    "vertical-align",
    "width",
    "word-break",
}
_ATTRIBUTES = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
_ATTRIBUTES["*"] = {"style", "title", "lang", "dir"}
_ATTRIBUTES["table"] |= {"role", "width", "cellpadding", "cellspacing", "border"}
_ATTRIBUTES["td"] |= {"width", "valign"}


def clean_html(html: str) -> str:
    """HTML with everything but the allowed markup removed (nh3, the binding of
    the ammonia sanitiser)."""
    return nh3.clean(
        html,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel=None,
        strip_comments=True,
        clean_content_tags={"script", "style"},
        filter_style_properties=_CSS,
    )


@dataclass(frozen=True)
class Parts:
    """An email's wording: the partner's own, or the built-in one."""

    subject: str
    text: str
    html: str
    language: str = DEFAULT_LANGUAGE
    built_in: bool = True
    title: str = ""  # the HTML part's <title>; empty: the subject

    def as_dict(self) -> dict:
        return {
            k: v for k, v in asdict(self).items() if k in ("subject", "text", "html")
        }


@cache
def built_in(kind: str, language: str = DEFAULT_LANGUAGE) -> Parts:
    """The product's own wording of `kind` in `language` (English when there is
    none in that language)."""
    folder = resources.files(__package__) / "defaults"
    if not (folder / language).is_dir():
        language = DEFAULT_LANGUAGE
    folder = folder / language

    def read(suffix: str) -> str:
        return (folder / f"{kind}.{suffix}").read_text(encoding="utf-8")

    return Parts(
        subject=read("subject.txt").strip(),
        text=read("txt"),
        html=read("html"),
        language=language,
        built_in=True,
        title=read("title.txt").strip(),
    )


def clean_kind(value) -> str:
    if value not in EmailKind.values:
        raise NotFound(
            f"There is no email kind {str(value)[:40]!r}; the kinds are "
            + ", ".join(EmailKind.values)
            + ".",
            field="kind",
        )
    return value


def clean_language(value) -> str:
    value = str(value or DEFAULT_LANGUAGE).strip().lower()
    offered = dict(settings.LANGUAGES)
    if value not in offered:
        raise ValidationFailed(
            {
                "language": [
                    "Templates come in "
                    + ", ".join(f"{code} ({name})" for code, name in offered.items())
                    + f"; not {value[:20]!r}."
                ]
            }
        )
    return value


_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!?]")


def _plain(value, *, field: str, label: str, limit: int, errors: dict) -> str:
    value = str(value or "").replace("\r\n", "\n").replace("\r", "\n")
    reason = refused_character(value)
    if reason:
        errors.setdefault(field, []).append(f"{label} {reason}.")
    elif not value.strip():
        errors.setdefault(field, []).append(f"{label} cannot be empty.")
    elif len(value) > limit:
        errors.setdefault(field, []).append(
            f"{label} can be at most {limit:,} characters; it has {len(value):,}."
        )
    return value


def check(
    kind: str, *, subject, text, html, language: str = DEFAULT_LANGUAGE
) -> tuple[Parts, bool]:
    """A partner's template made ready to save, and whether the sanitiser removed
    markup from its HTML. Raises ValidationFailed naming every problem (each
    placeholder refused, each required one missing), field by field."""
    rules = RULES[kind]
    errors: dict[str, list[str]] = {}
    subject = _plain(
        subject, field="subject", label="The subject", limit=SUBJECT_MAX, errors=errors
    ).strip()
    if "subject" not in errors:
        if "\n" in subject or "\t" in subject:
            errors["subject"] = ["The subject is one line: no line breaks or tabs."]
        elif _MARKUP.search(subject):
            errors["subject"] = [
                "The subject is plain text: no markup such as <b> or <a>."
            ]
        else:
            errors.update(
                _placeholder_errors("subject", subject, rules.subject_placeholders, ())
            )
    text = _plain(
        text, field="text", label="The plain text", limit=TEXT_MAX, errors=errors
    )
    if "text" not in errors:
        text = text.lstrip("\n").rstrip() + "\n"
        errors.update(
            _placeholder_errors("text", text, rules.placeholders, rules.required)
        )
    raw_html = _plain(
        html, field="html", label="The HTML", limit=HTML_MAX, errors=errors
    )
    html, sanitised = raw_html, False
    if "html" not in errors:
        masked, masks = placeholders.mask(raw_html)
        html = placeholders.unmask(clean_html(masked), masks)
        sanitised = html.strip() != raw_html.strip()
        errors.update(
            _placeholder_errors("html", html, rules.placeholders, rules.required)
        )
    if errors:
        raise ValidationFailed(errors)
    return (
        Parts(subject=subject, text=text, html=html, language=language, built_in=False),
        sanitised,
    )


def _placeholder_errors(field, source, allowed, required) -> dict:
    problems = placeholders.problems(source, allowed=allowed, required=required)
    return {field: problems} if problems else {}
