"""API keys: created (shown once), listed, revoked, and checked on every call."""

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from csrtool import validation
from csrtool.api.models import ApiKey
from csrtool.audit.services import record
from csrtool.errors import Conflict, DomainError, NotFound, ValidationFailed
from csrtool.partners.access import Actor
from csrtool.partners.models import Partner, Role

KEY_PREFIX = "csr"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(
    *, actor: Actor, name: str, role: str = Role.CSR, partner: Partner | None = None
) -> tuple[ApiKey, str]:
    """Return the key and its full secret; the secret is never retrievable again."""
    actor.require("keys.manage")
    partner = actor.require_partner(partner)
    errors = {}
    try:
        name = validation.clean_text(name, field="name", label="Name", max_length=100)
    except DomainError as e:
        errors["name"] = [e.message]
    if role not in Role.values or role == Role.OPERATOR:
        errors["role"] = ["Role must be partner_admin, csr or auditor."]
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
        )
        record(
            actor=actor,
            action="api_key.created",
            target=key,
            target_id=prefix,
            partner=partner,
            after={"name": name, "role": role, "prefix": prefix},
        )
    return key, secret


def revoke_api_key(*, actor: Actor, prefix: str) -> ApiKey:
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
        )
    return key


def key_from_secret(secret: str) -> ApiKey | None:
    """The usable key a secret belongs to, or None. Compares hashes in constant time."""
    parts = str(secret or "").split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    key = (
        ApiKey.objects.usable()
        .select_related("partner")
        .filter(prefix=parts[1], partner__is_active=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.key_hash, _hash(secret)):
        return None
    now = timezone.now()
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
