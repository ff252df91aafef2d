"""/api/v1/partners and /api/v1/staff: partners (the operator's) and their staff
(a partner admin's), with the same rules as the pages."""

from datetime import datetime
from typing import Literal

from ninja import Field, File, Query, Router, Schema, UploadedFile
from ninja.responses import Status as Reply

from csrtool.api.services import switch_off_staff
from csrtool.hosts import customer_base_url
from csrtool.partners import logos, second_factor, services, single_sign_on
from csrtool.partners.models import BrandImage, Partner, User

partners_router = Router(tags=["partners"])
staff_router = Router(tags=["staff"])


class PartnerIn(Schema):
    name: str
    slug: str = Field(description="Lower-case letters, digits and hyphens.")
    time_zone: str = Field(description="An IANA time zone, e.g. America/Chicago.")


class PartnerPatch(Schema):
    name: str | None = None
    time_zone: str | None = None
    default_language: str | None = Field(
        None,
        description="New subscribers' language unless one is given (en, es).",
    )
    product_name: str | None = None
    sender_name: str | None = None
    sender_email: str | None = None
    support_email: str | None = None
    support_phone: str | None = None
    link_expiry_hours: int | None = None
    number_aging_days: int | None = None
    number_hold_minutes: int | None = None
    self_service_numbers: bool | None = None
    api_key_idle_days: int | None = None
    invitations_per_minute: int | None = None
    brand_primary: str | None = None
    brand_accent: str | None = None
    terms_url: str | None = Field(
        None, description="https:// address of the terms; empty: none."
    )
    privacy_url: str | None = None
    support_url: str | None = None
    second_factor_required_for: str | None = Field(
        None,
        description="Who must pass a second factor after their password: "
        "nobody, partner_admins or all_staff.",
    )
    portal_host: str | None = Field(
        None,
        description="The partner's own host for its customers' pages "
        "(operator's keys only); empty for the main host.",
    )


class PartnerOut(Schema):
    slug: str
    name: str
    time_zone: str
    default_language: str
    is_active: bool
    product_name: str
    sender_name: str
    sender_email: str
    support_email: str
    support_phone: str
    link_expiry_hours: int
    number_aging_days: int
    number_hold_minutes: int
    self_service_numbers: bool
    api_key_idle_days: int
    invitations_per_minute: int
    brand_primary: str
    brand_accent: str
    portal_host: str
    terms_url: str
    privacy_url: str
    support_url: str
    second_factor_required_for: str
    created_at: datetime


def _partner(partner: Partner) -> dict:
    return {name: getattr(partner, name) for name in PartnerOut.model_fields}


@partners_router.get("", response=list[PartnerOut], summary="List partners")
def list_partners(request):
    """The operator sees every partner; a partner's own key sees its partner."""
    actor = request.auth
    actor.require("partner.settings")
    partners = Partner.objects.order_by("slug")
    if not actor.is_operator:
        partners = partners.filter(pk=actor.partner.pk)
    return [_partner(p) for p in partners]


@partners_router.post("", response={201: PartnerOut}, summary="Add a partner")
def create_partner(request, payload: PartnerIn):
    partner = services.create_partner(actor=request.auth, **payload.dict())
    return Reply(201, _partner(partner))


@partners_router.get("/{slug}", response=PartnerOut, summary="One partner")
def get_partner(request, slug: str):
    request.auth.require("partner.settings")
    return _partner(services.get_partner(actor=request.auth, slug=slug))


@partners_router.patch(
    "/{slug}", response=PartnerOut, summary="Change a partner's settings"
)
def update_partner(request, slug: str, payload: PartnerPatch):
    changes = payload.dict(exclude_unset=True)
    partner = services.update_partner(actor=request.auth, slug=slug, **changes)
    return _partner(partner)


class RoleRule(Schema):
    claim: str = Field(description="A claim of the ID token, e.g. groups.")
    value: str = Field(description="The value (or one of the values) it holds.")
    role: str = Field(description="partner_admin, csr or auditor.")


class SingleSignOnIn(Schema):
    issuer: str = Field(description="https:// issuer URL (discovery).")
    client_id: str
    client_secret: str | None = Field(
        None, description="Required the first time; omitted: the saved one stays."
    )
    domains: list[str] = Field(description="Email domains whose staff sign in there.")
    role_rules: list[RoleRule] = Field(
        description="First match wins; no match: no access."
    )
    password_sign_in_allowed: bool = True


class SingleSignOnOut(Schema):
    enabled: bool
    issuer: str | None = None
    client_id: str | None = None
    domains: list[str] = []
    role_rules: list[RoleRule] = []
    password_sign_in_allowed: bool = True
    redirect_uri: str = Field(description="To register with the provider.")


def _sso_json(request, partner: Partner) -> dict:
    from django.urls import reverse

    sso = single_sign_on.get_single_sign_on(partner)
    data = {
        "enabled": sso is not None,
        "redirect_uri": request.build_absolute_uri(reverse("login-sso-callback")),
    }
    if sso is not None:
        data.update(
            issuer=sso.issuer,
            client_id=sso.client_id,
            domains=sorted(d.domain for d in sso.domains.all()),
            role_rules=sso.role_rules,
            password_sign_in_allowed=sso.password_sign_in_allowed,
        )
    return data


def _sso_partner(request, slug: str) -> Partner:
    request.auth.require("partner.settings")
    return services.get_partner(actor=request.auth, slug=slug)


@partners_router.get(
    "/{slug}/single-sign-on",
    response=SingleSignOnOut,
    summary="A partner's single sign-on (the client secret is never shown)",
)
def get_single_sign_on(request, slug: str):
    return _sso_json(request, _sso_partner(request, slug))


@partners_router.put(
    "/{slug}/single-sign-on",
    response=SingleSignOnOut,
    summary="Set a partner's single sign-on (OpenID Connect)",
)
def set_single_sign_on(request, slug: str, payload: SingleSignOnIn):
    partner = _sso_partner(request, slug)
    data = payload.dict()
    single_sign_on.set_single_sign_on(actor=request.auth, partner=partner, **data)
    return _sso_json(request, partner)


@partners_router.delete(
    "/{slug}/single-sign-on",
    response={204: None},
    summary="Switch a partner's single sign-on off",
)
def remove_single_sign_on(request, slug: str):
    partner = _sso_partner(request, slug)
    single_sign_on.remove_single_sign_on(actor=request.auth, partner=partner)
    return Reply(204, None)


class BrandImageOut(Schema):
    kind: str
    content_type: str = Field(
        description="image/png, image/webp or image/svg+xml, from the content."
    )
    sha256: str = Field(description="Of the bytes served (checked and re-encoded).")
    size: int = Field(description="Bytes, as served.")
    width: int | None = Field(description="Pixels; null for SVG.")
    height: int | None
    url: str = Field(
        description="Where the partner's customers' pages and emails fetch it: its "
        "portal host, else the main host. It changes with the content."
    )
    updated_at: datetime


ImageKind = Literal["logo", "favicon"]


def brand_image_json(image: BrandImage) -> dict:
    return {
        "kind": image.kind,
        "content_type": image.content_type,
        "sha256": image.sha256,
        "size": image.size,
        "width": image.width,
        "height": image.height,
        "url": customer_base_url(image.partner) + image.path,
        "updated_at": image.updated_at,
    }


@partners_router.get(
    "/{slug}/images/{kind}",
    response=BrandImageOut,
    summary="A partner's logo or favicon",
)
def get_brand_image(request, slug: str, kind: ImageKind):
    """404 when the partner has none: its customers see the product's look."""
    return brand_image_json(
        logos.get_brand_image(actor=request.auth, slug=slug, kind=kind)
    )


@partners_router.post(
    "/{slug}/images/{kind}",
    response=BrandImageOut,
    summary="Upload a partner's logo or favicon",
)
def upload_brand_image(request, slug: str, kind: ImageKind, file: File[UploadedFile]):
    """multipart/form-data with the image as `file`. A logo is PNG, SVG or WebP; a
    favicon PNG, ICO or SVG; at most 512 KB. The format is read from the content;
    raster images are encoded again (metadata dropped), SVG is cleaned of
    scripts, event handlers and outside references. Replaces the one it had."""
    image = logos.set_brand_image(
        actor=request.auth, slug=slug, kind=kind, data=file.read()
    )
    return brand_image_json(image)


@partners_router.delete(
    "/{slug}/images/{kind}",
    response={204: None},
    summary="Remove a partner's logo or favicon",
)
def clear_brand_image(request, slug: str, kind: ImageKind):
    logos.clear_brand_image(actor=request.auth, slug=slug, kind=kind)
    return Reply(204, None)


class StaffIn(Schema):
    email: str
    role: str = Field(description="partner_admin, csr or auditor.")
    full_name: str = ""
    partner: str | None = Field(
        None, description="Partner slug: the operator's keys only."
    )
    sso_only: bool = Field(
        False,
        description="Signs in at the partner's provider only: no password, no "
        "invitation email.",
    )


class StaffPatch(Schema):
    full_name: str | None = None
    role: str | None = None
    time_zone: str | None = Field(None, description="Empty: the partner's zone.")
    is_active: bool | None = Field(None, description="false switches them off.")
    revoke_keys: list[str] = Field(
        [],
        description="When switching off: prefixes of API keys they made to revoke "
        "in the same step.",
    )


class StaffOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    partner: str | None
    time_zone: str
    is_active: bool
    has_password: bool = Field(description="false until the invitation is used.")
    last_login: datetime | None
    date_joined: datetime


class StaffFilters(Schema):
    partner: str | None = Field(
        None, description="A partner's slug (a partner's own key: its own)."
    )
    active: bool | None = None


def staff_json(user: User) -> dict:
    """A member of staff as the API shows them."""
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "partner": user.partner.slug if user.partner else None,
        "time_zone": user.time_zone,
        "is_active": user.is_active,
        "has_password": user.has_usable_password(),
        "last_login": user.last_login,
        "date_joined": user.date_joined,
    }


@staff_router.get("", response=list[StaffOut], summary="List staff")
def list_staff(request, filters: Query[StaffFilters]):
    actor = request.auth
    actor.require("staff.view")
    staff = User.objects.for_actor(actor).select_related("partner")
    if filters.partner:
        # Another partner's slug answers as an unknown one.
        partner = services.get_partner(actor=actor, slug=filters.partner)
        staff = staff.filter(partner=partner)
    if filters.active is not None:
        staff = staff.filter(is_active=filters.active)
    return [staff_json(u) for u in staff.order_by("email_canonical")]


@staff_router.post(
    "",
    response={201: StaffOut},
    summary="Invite a member of staff",
)
def invite_new_staff(request, payload: StaffIn):
    """Adds the member and emails them an invitation with a link to set their
    password (single-use, expiring). The link is never in the answer."""
    actor = request.auth
    data = payload.dict()
    slug = data.pop("partner")
    # Another partner's slug answers as an unknown one.
    partner = services.get_partner(actor=actor, slug=slug) if slug else None
    user = services.create_staff(actor=actor, partner=partner, **data)
    return Reply(201, staff_json(user))


@staff_router.get("/{staff_id}", response=StaffOut, summary="One member of staff")
def get_staff(request, staff_id: int):
    return staff_json(services.get_staff(actor=request.auth, staff_id=staff_id))


@staff_router.patch(
    "/{staff_id}",
    response=StaffOut,
    summary="Change a member's name, role or time zone, or switch them off",
)
def update_staff(request, staff_id: int, payload: StaffPatch):
    changes = payload.dict(exclude_unset=True)
    revoke = changes.pop("revoke_keys", [])
    if changes.get("time_zone") is None:
        changes.pop("time_zone", None)
    for name in ("full_name", "role", "is_active"):
        if name in changes and changes[name] is None:
            changes.pop(name)
    if changes.get("is_active") is False or revoke:
        user = switch_off_staff(
            actor=request.auth, staff_id=staff_id, revoke=revoke, **changes
        )
    else:
        user = services.update_staff(actor=request.auth, staff_id=staff_id, **changes)
    return staff_json(user)


@staff_router.post(
    "/{staff_id}/invitation",
    response={202: StaffOut},
    summary="Email a member of staff a new invitation",
)
def reinvite_staff(request, staff_id: int):
    """A new set-password link by email: a first invitation gone astray, or a
    forgotten password."""
    user = services.invite_staff(actor=request.auth, staff_id=staff_id)
    return Reply(202, staff_json(user))


class SecondFactorResetIn(Schema):
    reason: str = Field(description="Why, for the audit log (e.g. a lost phone).")


@staff_router.post(
    "/{staff_id}/second-factor/reset",
    response=StaffOut,
    summary="Reset a member of staff's second factor",
)
def reset_second_factor(request, staff_id: int, payload: SecondFactorResetIn):
    """Removes their authenticator app, passkeys and recovery codes; they
    set up a new one at their next sign-in. Never one's own."""
    user = second_factor.reset_second_factor(
        actor=request.auth, staff_id=staff_id, reason=payload.reason
    )
    return staff_json(user)
