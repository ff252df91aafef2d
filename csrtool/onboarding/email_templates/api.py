"""/api/v1/partners/{slug}/email-templates: a partner's own wording of each
subscriber email, with the same rules as the Subscriber Emails pages (a partner
admin's key: its own partner; the operator's key: any partner)."""

from datetime import datetime

from ninja import Field, Query, Router, Schema

from csrtool.onboarding.email_templates import services
from csrtool.onboarding.email_templates.rules import DEFAULT_LANGUAGE
from csrtool.onboarding.email_templates.services import TemplateState

router = Router(tags=["email templates"])


class LanguageQuery(Schema):
    language: str = Field(
        DEFAULT_LANGUAGE, description="The template's language: en or es."
    )


class TemplateIn(Schema):
    subject: str = Field(description="One line of plain text, with placeholders.")
    text: str = Field(description="The plain-text part, with placeholders.")
    html: str = Field(
        description="The HTML part's body, with placeholders; sanitised (no "
        "script, event handler or javascript: link survives)."
    )


class DraftIn(Schema):
    subject: str | None = None
    text: str | None = None
    html: str | None = None


class TemplateOut(Schema):
    kind: str
    label: str
    language: str
    custom: bool = Field(description="false: the built-in wording is used.")
    subject: str
    text: str
    html: str
    placeholders: list[str] = Field(description="Allowed in text and HTML.")
    subject_placeholders: list[str]
    required: list[str] = Field(description="Needed in both text and HTML.")
    updated_at: datetime | None
    updated_by: str


class TemplateSaved(TemplateOut):
    html_tidied: bool = Field(
        description="true: the sanitiser removed or rewrote markup; `html` is "
        "what was saved."
    )


class RenderedOut(Schema):
    subject: str
    text: str
    html: str


def template_json(state: TemplateState) -> dict:
    """A template as the API (and the command line's --json) shows it."""
    return {
        "kind": state.kind,
        "label": state.label,
        "language": state.language,
        "custom": state.custom,
        **state.parts.as_dict(),
        "placeholders": list(state.rules.placeholders),
        "subject_placeholders": list(state.rules.subject_placeholders),
        "required": list(state.rules.required),
        "updated_at": state.updated_at,
        "updated_by": state.updated_by,
    }


@router.get(
    "/{slug}/email-templates",
    response=list[TemplateOut],
    summary="A partner's subscriber emails",
)
def list_templates(request, slug: str, query: Query[LanguageQuery]):
    """Every kind of subscriber email, with the wording in use: the partner's
    own, else the built-in one."""
    states = services.list_templates(
        actor=request.auth, slug=slug, language=query.language
    )
    return [template_json(s) for s in states]


@router.get(
    "/{slug}/email-templates/{kind}",
    response=TemplateOut,
    summary="One subscriber email's wording",
)
def get_template(request, slug: str, kind: str, query: Query[LanguageQuery]):
    state = services.get_template(
        actor=request.auth, slug=slug, kind=kind, language=query.language
    )
    return template_json(state)


@router.put(
    "/{slug}/email-templates/{kind}",
    response=TemplateSaved,
    summary="Set the partner's own wording of a subscriber email",
)
def save_template(
    request, slug: str, kind: str, payload: TemplateIn, query: Query[LanguageQuery]
):
    """Placeholders are `{{ name }}` from `placeholders` (the subject: from
    `subject_placeholders`); filters, tags and anything else in braces are
    refused, as is a template without its `required` placeholders."""
    state, tidied = services.save_template(
        actor=request.auth,
        slug=slug,
        kind=kind,
        language=query.language,
        **payload.dict(),
    )
    return {**template_json(state), "html_tidied": tidied}


@router.delete(
    "/{slug}/email-templates/{kind}",
    response=TemplateOut,
    summary="Back to the built-in wording",
)
def reset_template(request, slug: str, kind: str, query: Query[LanguageQuery]):
    state = services.reset_template(
        actor=request.auth, slug=slug, kind=kind, language=query.language
    )
    return template_json(state)


@router.post(
    "/{slug}/email-templates/{kind}/preview",
    response=RenderedOut,
    summary="Render a subscriber email with a sample customer",
)
def preview_template(
    request, slug: str, kind: str, payload: DraftIn, query: Query[LanguageQuery]
):
    """The subject, plain text and HTML a sample customer would receive. Parts
    given in the body replace the saved ones (checked as saving would check
    them); nothing is saved or sent."""
    draft = None
    given = payload.dict(exclude_none=True)
    if given:
        current = services.get_template(
            actor=request.auth, slug=slug, kind=kind, language=query.language
        )
        draft = {**current.parts.as_dict(), **given}
    return services.preview(
        actor=request.auth,
        slug=slug,
        kind=kind,
        language=query.language,
        draft=draft,
    )
