"""Every write to partners and their staff: typed, one transaction, audited."""

import re

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.http.request import validate_host
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from csrtool import validation
from csrtool.audit.services import record
from csrtool.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from csrtool.partners.access import Actor
from csrtool.partners.models import Partner, Role, SecondFactorPolicy, User

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")

PARTNER_SETTINGS = (
    "name",
    "time_zone",
    "default_language",
    "product_name",
    "sender_name",
    "sender_email",
    "support_email",
    "support_phone",
    "link_expiry_hours",
    "number_aging_days",
    "number_hold_minutes",
    "self_service_numbers",
    "api_key_idle_days",
    "invitations_per_minute",
    "brand_primary",
    "brand_accent",
    "portal_host",
    "terms_url",
    "privacy_url",
    "support_url",
    "second_factor_required_for",
)


def _partner_snapshot(partner: Partner) -> dict:
    return {field: getattr(partner, field) for field in ("slug", *PARTNER_SETTINGS)}


def get_partner(*, actor: Actor, slug: str) -> Partner:
    queryset = Partner.objects.all()
    if not actor.is_operator:
        queryset = queryset.filter(pk=actor.partner.pk)
    try:
        return queryset.get(slug=str(slug or "").strip().lower())
    except Partner.DoesNotExist:
        raise NotFound(
            f"No partner has the slug {str(slug)[:50]!r}.", field="partner"
        ) from None


def clean_settings(data: dict, fields) -> dict:
    """The given settings checked as saving them would check them (every
    message collected in one ValidationFailed); nothing is saved."""
    return _clean_partner(data, fields)


def _clean_partner(data: dict, fields) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for field in fields:
        value = data.get(field)
        try:
            if field == "name":
                cleaned[field] = validation.clean_text(
                    value, field=field, label="Name", max_length=100
                )
            elif field == "slug":
                slug = str(value or "").strip().lower()
                if not _SLUG.match(slug):
                    raise DomainError(
                        "Slug must be 1–50 lowercase letters, digits or hyphens, "
                        "starting and ending with a letter or digit.",
                        field=field,
                    )
                cleaned[field] = slug
            elif field == "time_zone":
                cleaned[field] = validation.clean_time_zone(value)
            elif field == "default_language":
                cleaned[field] = validation.clean_language(value, field=field)
            elif field in ("sender_email", "support_email"):
                value = str(value or "").strip()
                cleaned[field] = (
                    validation.clean_email(value, field=field, label="Email")[0]
                    if value
                    else ""
                )
            elif field in ("product_name", "sender_name", "support_phone"):
                value = str(value or "").strip()
                cleaned[field] = (
                    validation.clean_text(
                        value, field=field, label="This field", max_length=100
                    )
                    if value
                    else ""
                )
            elif field in (
                "link_expiry_hours",
                "number_aging_days",
                "number_hold_minutes",
                "api_key_idle_days",
                "invitations_per_minute",
            ):
                limits = {
                    "link_expiry_hours": (1, 720),
                    "number_aging_days": (0, 3650),
                    "number_hold_minutes": (1, 1440),
                    "api_key_idle_days": (0, 3650),
                    "invitations_per_minute": (1, 6000),
                }[field]
                try:
                    number = int(str(value).strip())
                except (TypeError, ValueError):
                    raise DomainError("Enter a whole number.", field=field) from None
                if not limits[0] <= number <= limits[1]:
                    raise DomainError(
                        f"Enter a number from {limits[0]} to {limits[1]}.", field=field
                    )
                cleaned[field] = number
            elif field in ("brand_primary", "brand_accent"):
                label = {"brand_primary": "Primary", "brand_accent": "Accent"}[field]
                cleaned[field] = validation.clean_brand_colour(
                    value, field=field, label=f"{label} colour"
                )
            elif field == "self_service_numbers":
                cleaned[field] = bool(value)
            elif field in ("terms_url", "privacy_url", "support_url"):
                label = {
                    "terms_url": "Terms of service",
                    "privacy_url": "Privacy",
                    "support_url": "Support page",
                }[field]
                cleaned[field] = validation.clean_web_address(
                    value, field=field, label=label
                )
            elif field == "second_factor_required_for":
                if value not in SecondFactorPolicy.values:
                    raise DomainError(
                        "Second factor required for must be one of: "
                        f"{', '.join(SecondFactorPolicy.values)}.",
                        field=field,
                    )
                cleaned[field] = value
            elif field == "portal_host":
                host = validation.clean_host_name(value, field=field)
                if host and validate_host(host, settings.MAIN_HOSTS):
                    raise DomainError(
                        "This is the console's own host; a partner's portal host "
                        "must be another.",
                        field=field,
                    )
                cleaned[field] = host
        except DomainError as e:
            errors.setdefault(field, []).append(e.message)
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _check_portal_host(actor: Actor, partner: Partner, host: str) -> None:
    """Only the platform operator points a host at a partner (its DNS and TLS
    certificate are the operator's to set up), and no two partners share one."""
    if not actor.is_operator:
        raise PermissionDenied(
            "Only the platform operator can change a partner's portal host."
        )
    others = Partner.objects.filter(portal_host=host).exclude(pk=partner.pk)
    if host and others.exists():
        raise ValidationFailed({"portal_host": ["Another partner has this host name."]})


def create_partner(*, actor: Actor, name: str, slug: str, time_zone: str) -> Partner:
    actor.require("partners.manage")
    cleaned = _clean_partner(
        {"name": name, "slug": slug, "time_zone": time_zone},
        ("name", "slug", "time_zone"),
    )
    errors = {}
    if Partner.objects.filter(slug=cleaned["slug"]).exists():
        errors["slug"] = ["A partner with this slug already exists."]
    if Partner.objects.filter(name=cleaned["name"]).exists():
        errors["name"] = ["A partner with this name already exists."]
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            partner = Partner.objects.create(**cleaned)
            record(
                actor=actor,
                action="partner.created",
                target=partner,
                partner=partner,
                after=_partner_snapshot(partner),
            )
    except IntegrityError:
        raise Conflict("A partner with this name or slug already exists.") from None
    return partner


def update_partner(*, actor: Actor, slug: str, **changes) -> Partner:
    """Change a partner's name, default time zone, branding and policies."""
    actor.require("partner.settings")
    unknown = set(changes) - set(PARTNER_SETTINGS)
    if unknown:
        raise DomainError(f"These settings do not exist: {', '.join(sorted(unknown))}.")
    try:
        return _update_partner(actor, slug, changes)
    except IntegrityError as e:
        # Two partners given one host (or name) at the same moment.
        if "portal_host" in str(e):
            raise ValidationFailed(
                {"portal_host": ["Another partner has this host name."]}
            ) from None
        raise Conflict("Another partner has this name.") from None


def _update_partner(actor: Actor, slug: str, changes: dict) -> Partner:
    with transaction.atomic():
        partner = get_partner(actor=actor, slug=slug)
        cleaned = _clean_partner(changes, changes.keys())
        if cleaned.get("portal_host", partner.portal_host) != partner.portal_host:
            _check_portal_host(actor, partner, cleaned["portal_host"])
        if (
            "name" in cleaned
            and Partner.objects.filter(name=cleaned["name"])
            .exclude(pk=partner.pk)
            .exists()
        ):
            raise ValidationFailed(
                {"name": ["A partner with this name already exists."]}
            )
        before = _partner_snapshot(partner)
        for field, value in cleaned.items():
            setattr(partner, field, value)
        after = _partner_snapshot(partner)
        changed = [k for k in after if after[k] != before[k]]
        if changed:
            partner.save(update_fields=changed)
            record(
                actor=actor,
                action="partner.updated",
                target=partner,
                partner=partner,
                before={k: before[k] for k in changed},
                after={k: after[k] for k in changed},
            )
    return partner


def _staff_snapshot(user: User) -> dict:
    return {
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "time_zone": user.time_zone,
        "is_active": user.is_active,
    }


def get_staff(*, actor: Actor, staff_id) -> User:
    actor.require("staff.view")
    try:
        return (
            User.objects.for_actor(actor)
            .select_related("partner")
            .get(pk=int(staff_id))
        )
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such member of staff.") from None


def _clean_staff_name(value) -> str:
    """Optional; when given, a name like a subscriber's (NFKC, nothing hidden)."""
    if not str(value or "").strip():
        return ""
    return validation.clean_text(
        value, field="full_name", label="Name", max_length=100, compatibility=True
    )


def _check_role(actor: Actor, role: str) -> str:
    if role not in Role.values:
        raise ValidationFailed(
            {"role": [f"Role must be one of: {', '.join(Role.values)}."]}
        )
    if role == Role.OPERATOR and not actor.is_operator:
        raise ValidationFailed(
            {"role": ["Only the platform operator can add operators."]}
        )
    return role


def create_staff(
    *,
    actor: Actor,
    email: str,
    role: str,
    full_name: str = "",
    partner: Partner | None = None,
    password: str | None = None,
    sso_only: bool = False,
) -> User:
    """Add a member of staff to a partner (or an operator, for the operator only).

    Without a password the account gets none, and an invitation with a
    set-password link is emailed to it in the same transaction; `sso_only`
    staff get neither: they sign in at their partner's provider.
    """
    actor.require("staff.manage")
    role = _check_role(actor, role)
    partner = None if role == Role.OPERATOR else actor.require_partner(partner)
    errors = {}
    try:
        address, canonical = validation.clean_email(email)
    except DomainError as e:
        errors["email"] = [e.message]
    try:
        name = _clean_staff_name(full_name)
    except DomainError as e:
        errors["full_name"] = [e.message]
    if not errors:
        look_alikes = validation.email_look_alikes(canonical)
        if User.objects.filter(email_canonical=canonical).exists():
            errors["email"] = ["This email address is already in use."]
        elif User.objects.filter(email_canonical__in=look_alikes).exists():
            errors["email"] = [
                "This email address looks the same as one already in use."
            ]
    if sso_only and not errors:
        from csrtool.partners.single_sign_on import for_email

        sso = for_email(canonical)
        if password is not None:
            errors["password"] = ["Staff who sign in at the provider have no password."]
        elif role == Role.OPERATOR or sso is None or sso.partner_id != partner.pk:
            errors["email"] = [
                "Single sign-on of the member's partner does not cover this address's "
                "domain."
            ]
    if password is not None and not errors:
        from django.contrib.auth.password_validation import validate_password
        from django.core.exceptions import ValidationError

        try:
            validate_password(password, User(email=address, full_name=name))
        except ValidationError as e:
            errors["password"] = list(e.messages)
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            user = User(
                email=address,
                email_canonical=canonical,
                full_name=name,
                role=role,
                partner=partner,
            )
            if password is None:
                user.set_unusable_password()
            else:
                user.set_password(password)
            user.save()
            record(
                actor=actor,
                action="staff.created",
                target=user,
                partner=partner,
                after=_staff_snapshot(user),
            )
            if password is None and not sso_only:
                _queue_invitation(actor=actor, user=user)
    except IntegrityError:
        raise ValidationFailed(
            {"email": ["This email address is already in use."]}
        ) from None
    return user


def update_staff(*, actor: Actor, staff_id, **changes) -> User:
    """Change a member of staff's name, role, time zone, or switch them off."""
    actor.require("staff.manage")
    allowed = {"full_name", "role", "time_zone", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(
            f"These fields cannot be changed: {', '.join(sorted(unknown))}."
        )
    with transaction.atomic():
        user = get_staff(actor=actor, staff_id=staff_id)
        before = _staff_snapshot(user)
        if "role" in changes:
            role = _check_role(actor, changes["role"])
            if (role == Role.OPERATOR) != user.is_operator:
                raise ValidationFailed(
                    {"role": ["Partner staff and operators cannot swap places."]}
                )
            user.role = role
        if "full_name" in changes:
            try:
                user.full_name = _clean_staff_name(changes["full_name"])
            except DomainError as e:
                raise ValidationFailed({"full_name": [e.message]}) from None
        if "time_zone" in changes:
            zone = str(changes["time_zone"] or "").strip()
            user.time_zone = validation.clean_time_zone(zone) if zone else ""
        if "is_active" in changes:
            if (
                actor.user is not None
                and user.pk == actor.user.pk
                and not changes["is_active"]
            ):
                raise ValidationFailed(
                    {"is_active": ["You cannot switch off your own account."]}
                )
            user.is_active = bool(changes["is_active"])
        after = _staff_snapshot(user)
        changed = [k for k in after if after[k] != before[k]]
        if changed:
            user.save(update_fields=changed)
            if "is_active" in changed and not user.is_active:
                _end_sessions(user)
            record(
                actor=actor,
                action="staff.updated",
                target=user,
                partner=user.partner,
                before={k: before[k] for k in changed},
                after={k: after[k] for k in changed},
            )
    return user


def _end_sessions(user: User) -> None:
    from django.contrib.sessions.models import Session

    for session in Session.objects.all().iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()


def set_password_url(user: User) -> str:
    """The link in an invitation: it lets the member of staff set a password once,
    and dies after PASSWORD_RESET_TIMEOUT or as soon as the password changes.

    The token is Django's HMAC over the user's state, so it needs no table. Only the
    invitation email carries it; nobody who invites sees it.
    """
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("staff-set-password", kwargs={"uidb64": uid, "token": token})
    return settings.BASE_URL + path


def _queue_invitation(*, actor: Actor, user: User) -> None:
    from csrtool.partners.tasks import send_staff_invitation

    record(actor=actor, action="staff.invited", target=user, partner=user.partner)
    if actor.user is not None:
        inviter = actor.user.full_name or actor.user.email
    else:
        inviter = actor.partner.name if actor.partner else "The platform operator"
    send_staff_invitation.enqueue(user.pk, inviter)


def invite_staff(*, actor: Actor, staff_id) -> User:
    """Email a member of staff a new set-password link (a first invitation that
    went astray, or a forgotten password). Earlier links keep working until the
    password is set, then every one of them stops."""
    actor.require("staff.manage")
    with transaction.atomic():
        user = get_staff(actor=actor, staff_id=staff_id)
        if not user.is_active:
            raise DomainError(
                f"{user.email} is switched off: switch them on before inviting them.",
                code="inactive",
            )
        _queue_invitation(actor=actor, user=user)
    return user
