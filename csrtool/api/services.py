"""API keys: created (shown once), listed, revoked, and checked on every call."""

import hashlib
import hmac
import secrets
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from csrtool import validation
from csrtool.api.models import ApiKey
from csrtool.audit.services import record
from csrtool.errors import Conflict, DomainError, NotFound, ValidationFailed
from csrtool.partners.access import Actor
from csrtool.partners.models import Partner, Role
from csrtool.prepared import Prepared
from csrtool.timezones import rfc3339

KEY_PREFIX = "csr"
MAX_LIFETIME_DAYS = 3650


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _expiry(expires_on, partner: Partner) -> datetime | None:
    """The end of the day `expires_on` (YYYY-MM-DD) in the partner's time zone."""
    if expires_on in (None, ""):
        return None
    if not isinstance(expires_on, date):
        try:
            expires_on = date.fromisoformat(str(expires_on).strip())
        except ValueError:
            raise DomainError(
                "Enter the expiry date as YYYY-MM-DD.", field="expires_on"
            ) from None
    today = timezone.now().astimezone(ZoneInfo(partner.time_zone)).date()
    if not today <= expires_on <= today + timedelta(days=MAX_LIFETIME_DAYS):
        raise DomainError(
            f"Pick a date from today to {MAX_LIFETIME_DAYS} days ahead.",
            field="expires_on",
        )
    next_day = expires_on + timedelta(days=1)
    return datetime.combine(next_day, time(0), ZoneInfo(partner.time_zone))


def create_api_key(
    *,
    actor: Actor,
    name: str,
    role: str = Role.CSR,
    partner: Partner | None = None,
    expires_on: date | str | None = None,
) -> tuple[ApiKey, str]:
    """Return the key and its full secret; the secret is never retrievable again.

    With `expires_on` the key stops working when that day ends (partner's time)."""
    actor.require("keys.manage")
    partner = actor.require_partner(partner)
    errors = {}
    try:
        name = validation.clean_text(name, field="name", label="Name", max_length=100)
    except DomainError as e:
        errors["name"] = [e.message]
    if role not in Role.values or role == Role.OPERATOR:
        errors["role"] = ["Role must be partner_admin, csr or auditor."]
    try:
        expires_at = _expiry(expires_on, partner)
    except DomainError as e:
        errors["expires_on"] = [e.message]
    if errors:
        raise ValidationFailed(errors)
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            partner=partner,
            name=name,
            prefix=prefix,
            key_hash=_hash(secret),
            role=role,
            created_by=actor.user,
            expires_at=expires_at,
        )
        record(
            actor=actor,
            action="api_key.created",
            target=key,
            target_id=prefix,
            partner=partner,
            after={
                "name": name,
                "role": role,
                "prefix": prefix,
                "created_by": actor.user.email if actor.user else actor.label,
                "expires_at": rfc3339(expires_at) if expires_at else None,
            },
        )
    return key, secret


def revoke_api_key(*, actor: Actor, prefix: str, reason: str = "") -> ApiKey:
    actor.require("keys.manage")
    with transaction.atomic():
        try:
            key = (
                ApiKey.objects.for_actor(actor)
                .select_for_update()
                .get(prefix=str(prefix or "").strip())
            )
        except ApiKey.DoesNotExist:
            raise NotFound("No API key has that prefix.", field="prefix") from None
        if key.revoked_at is not None:
            raise Conflict("This API key is already revoked.", code="already_revoked")
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        record(
            actor=actor,
            action="api_key.revoked",
            target=key,
            target_id=key.prefix,
            partner=key.partner,
            before={"revoked": False},
            after={"revoked": True},
            reason=reason,
        )
    return key


def keys_made_by(*, actor: Actor, user) -> list[ApiKey]:
    """The keys `user` made that still work (what switching them off leaves)."""
    actor.require("keys.manage")
    keys = (
        ApiKey.objects.for_actor(actor)
        .made_by(user)
        .usable()
        .select_related("partner")
        .order_by("created_at")
    )
    return [key for key in keys if key.state() == "active"]


def switch_off_staff(*, actor: Actor, staff_id, revoke: list[str], **changes):
    """Save a member of staff switched off and, in the same transaction, revoke
    the keys they made that the admin ticked (`revoke`: prefixes)."""
    from csrtool.partners.services import get_staff, update_staff

    if revoke and changes.get("is_active") is not False:
        raise ValidationFailed(
            {"revoke": ["Keys are revoked here only when switching someone off."]}
        )
    with transaction.atomic():
        member = get_staff(actor=actor, staff_id=staff_id)
        made = {key.prefix for key in keys_made_by(actor=actor, user=member)}
        unknown = set(revoke) - made
        if unknown:
            raise ValidationFailed(
                {"revoke": ["Only keys this member of staff made can be revoked here."]}
            )
        member = update_staff(actor=actor, staff_id=staff_id, **changes)
        for prefix in sorted(revoke):
            revoke_api_key(
                actor=actor,
                prefix=prefix,
                reason=f"Revoked as {member.email}, who made it, was switched off.",
            )
    return member


def create_operator_key(
    *, actor: Actor, name: str, expires_on: date | str | None = None
) -> tuple[ApiKey, str]:
    """A key for the platform operator's own systems: the event feed across
    partners, and partners, their staff and the audit log (OPERATOR_PATHS), nothing
    of a partner's subscribers or pool. Shown once."""
    actor.require("partners.manage")
    name = validation.clean_text(name, field="name", label="Name", max_length=100)
    expires_at = None
    if expires_on not in (None, ""):
        try:
            day = date.fromisoformat(str(expires_on).strip())
        except ValueError:
            raise ValidationFailed(
                {"expires_on": ["Enter the expiry date as YYYY-MM-DD."]}
            ) from None
        expires_at = datetime.combine(day + timedelta(days=1), time(0), UTC)
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            partner=None,
            name=name,
            prefix=prefix,
            key_hash=_hash(secret),
            role=Role.OPERATOR,
            created_by=actor.user,
            expires_at=expires_at,
        )
        record(
            actor=actor,
            action="api_key.created",
            target=key,
            target_id=key.prefix,
            target_label=str(key),
            after={"name": key.name, "role": key.role, "operator": True},
        )
    return key, secret


# Every API request reads its key: the query is compiled once.
_KEY_BY_PREFIX = Prepared(
    lambda _shape, prefix: (
        ApiKey.objects.usable().select_related("partner").filter(prefix=prefix)[:1]
    )
)


def key_from_secret(secret: str) -> ApiKey | None:
    """The usable key a secret belongs to, or None. Compares hashes in constant time."""
    parts = str(secret or "").split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    # The prefix is unique. The partner's switch is checked on the row: asked
    # in the query, as an OR across the join, it made the one query of every
    # API request dearer to build and to run.
    found = _KEY_BY_PREFIX.rows((), parts[1])
    key = found[0] if found else None
    if key is None or not hmac.compare_digest(key.key_hash, _hash(secret)):
        return None
    if key.partner is not None and not key.partner.is_active:
        return None  # a partner switched off: its keys with it
    now = timezone.now()
    if key.state(now) != "active":
        return None  # expired, or unused longer than the partner allows
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        # Written at most once a minute: a busy key should not turn reads into writes.
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def api_actor(key: ApiKey, *, source_ip=None, request_id="") -> Actor:
    return Actor(
        kind="api_key",
        label=f"api-key:{key.name} ({key.prefix})",
        role=key.role,
        partner=key.partner,
        channel="api",
        source_ip=source_ip,
        request_id=request_id,
    )
