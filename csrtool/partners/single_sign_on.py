"""Single sign-on per partner (OpenID Connect): the partner's settings, and what a
sign-in at its provider does here.

The protocol (authorization code with PKCE, state, nonce; the ID token's
signature, issuer, audience and expiry) is Authlib's; this module decides who
the person is here: always a member of the partner whose provider vouched for
them, with the role its claims map to, or nobody.
"""

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from csrtool.audit.services import record
from csrtool.errors import DomainError, NotFound, ValidationFailed
from csrtool.partners.access import Actor, staff_actor
from csrtool.partners.models import (
    Partner,
    PartnerSingleSignOn,
    Role,
    SingleSignOnDomain,
    User,
)
from csrtool.validation import canonical_email

SCOPES = "openid email profile"
MAPPED_ROLES = (Role.PARTNER_ADMIN, Role.CSR, Role.AUDITOR)
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
_RULE = re.compile(r"^\s*([a-z_]+)\s*:\s*([^=\s]+)\s*=\s*(.+?)\s*$")


class SignInRefused(DomainError):
    """The provider vouched for someone who may not sign in here."""


# The partner's settings.


def get_single_sign_on(partner: Partner) -> PartnerSingleSignOn | None:
    return (
        PartnerSingleSignOn.objects.filter(partner=partner)
        .prefetch_related("domains")
        .first()
    )


def _snapshot(sso: PartnerSingleSignOn | None) -> dict:
    if sso is None:
        return {"single_sign_on": False}
    return {
        "single_sign_on": True,
        "issuer": sso.issuer,
        "client_id": sso.client_id,
        "domains": sorted(d.domain for d in sso.domains.all()),
        "password_sign_in_allowed": sso.password_sign_in_allowed,
        "role_rules": rules_text(sso.role_rules),
    }


def _audited(snapshot: dict) -> dict:
    # The audit log blanks any key naming a password; this one holds a switch.
    return {
        ("local_sign_in_allowed" if k == "password_sign_in_allowed" else k): v
        for k, v in snapshot.items()
    }


def rules_text(rules: list[dict]) -> str:
    """The rules as a partner admin types them: one `role: claim=value` a line."""
    return "\n".join(f"{r['role']}: {r['claim']}={r['value']}" for r in rules)


def _refuse_private(host: str, port: int) -> None:
    """The server fetches the issuer's discovery and keys: an issuer whose host
    is (or resolves to) a private, loopback, link-local or reserved address is
    refused, so that the setting cannot reach into the server's own network
    (a name that does not resolve fetches nothing). Loopback is allowed with
    CSRTOOL_SSO_ALLOW_HTTP_LOOPBACK, for tests and labs. Checked when saved: a
    name that later resolves elsewhere is not caught here."""
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return
        addresses = [ipaddress.ip_address(answer[4][0]) for answer in answers]
    for address in addresses:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if address.is_loopback and settings.SSO_ALLOW_HTTP_LOOPBACK:
            continue
        if not address.is_global or address.is_multicast:
            raise DomainError(
                f"Issuer URL must be on the public internet; {host} is "
                f"{address}, a private or reserved address.",
                field="issuer",
                code="unsafe_url",
            )


def clean_issuer(value) -> str:
    issuer = str(value or "").strip().rstrip("/")
    if not issuer:
        raise DomainError("Issuer URL is required.", field="issuer")
    parts = urlsplit(issuer)
    if parts.query or parts.fragment or not parts.hostname or parts.username:
        raise DomainError(
            "Issuer URL must be a plain https:// address, e.g. "
            "https://login.example.com/realms/staff.",
            field="issuer",
        )
    if parts.scheme == "https":
        _refuse_private(parts.hostname, parts.port or 443)
        return issuer
    if parts.scheme == "http" and settings.SSO_ALLOW_HTTP_LOOPBACK:
        try:
            if ipaddress.ip_address(parts.hostname).is_loopback:
                return issuer
        except ValueError:
            pass
    raise DomainError("Issuer URL must start with https://.", field="issuer")


def clean_domains(value) -> list[str]:
    items = value if isinstance(value, list | tuple) else re.split(r"[\s,]+", value)
    domains = []
    for item in items:
        domain = str(item or "").strip().lower().lstrip("@")
        if not domain:
            continue
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            domain = ""
        if not _DOMAIN.match(domain):
            raise DomainError(
                f"{str(item)[:60]!r} is not an email domain (like example.com).",
                field="domains",
            )
        if domain not in domains:
            domains.append(domain)
    if not domains:
        raise DomainError(
            "Name at least one email domain whose staff sign in here.",
            field="domains",
        )
    return domains


def clean_role_rules(value) -> list[dict]:
    """From text (`role: claim=value` lines) or a list of {claim, value, role}."""
    if isinstance(value, str):
        rules = []
        for line in value.splitlines():
            if not line.strip():
                continue
            match = _RULE.match(line)
            if not match:
                raise DomainError(
                    f"Write each rule as “role: claim=value”, e.g. "
                    f"“csr: groups=support”; {line.strip()[:60]!r} is not.",
                    field="role_rules",
                )
            role, claim, claim_value = match.groups()
            rules.append({"role": role, "claim": claim, "value": claim_value})
    else:
        rules = [dict(rule) for rule in value or []]
    clean = []
    for rule in rules:
        role = str(rule.get("role") or "").strip()
        claim = str(rule.get("claim") or "").strip()
        claim_value = str(rule.get("value") or "").strip()
        if role not in MAPPED_ROLES:
            raise DomainError(
                f"A rule's role must be one of: {', '.join(MAPPED_ROLES)}.",
                field="role_rules",
            )
        if not claim or not claim_value or len(claim) > 100 or len(claim_value) > 200:
            raise DomainError(
                "Each rule needs a claim name and a value.", field="role_rules"
            )
        clean.append({"role": role, "claim": claim, "value": claim_value})
    if not clean:
        raise DomainError(
            "Map at least one claim value to a role: without a rule nobody gets in.",
            field="role_rules",
        )
    return clean


def set_single_sign_on(
    *,
    actor: Actor,
    partner: Partner,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    domains,
    role_rules,
    password_sign_in_allowed: bool = True,
) -> PartnerSingleSignOn:
    """Switch single sign-on on for a partner, or change it. A blank secret keeps
    the one saved before."""
    actor.require("partner.settings")
    partner = actor.require_partner(partner)
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for field, clean, value in (
        ("issuer", clean_issuer, issuer),
        ("domains", clean_domains, domains),
        ("role_rules", clean_role_rules, role_rules),
    ):
        try:
            cleaned[field] = clean(value)
        except DomainError as e:
            errors[field] = [e.message]
    client_id = str(client_id or "").strip()
    if not client_id or len(client_id) > 255:
        errors["client_id"] = ["Client ID is required (at most 255 characters)."]
    client_secret = str(client_secret or "").strip()
    if len(client_secret) > 500:
        errors["client_secret"] = ["Client secret must be at most 500 characters."]
    with transaction.atomic():
        sso = get_single_sign_on(partner)
        if sso is None and not client_secret:
            errors["client_secret"] = ["Client secret is required."]
        taken = (
            SingleSignOnDomain.objects.filter(domain__in=cleaned.get("domains", []))
            .exclude(single_sign_on__partner=partner)
            .values_list("domain", flat=True)
        )
        if taken:
            errors["domains"] = [
                f"Another partner's single sign-on covers {', '.join(sorted(taken))}."
            ]
        if errors:
            raise ValidationFailed(errors)
        before = _snapshot(sso)
        if sso is None:
            sso = PartnerSingleSignOn(partner=partner)
        secret_changed = bool(client_secret) and client_secret != sso.client_secret
        sso.issuer = cleaned["issuer"]
        sso.client_id = client_id
        if client_secret:
            sso.client_secret = client_secret
        sso.role_rules = cleaned["role_rules"]
        sso.password_sign_in_allowed = bool(password_sign_in_allowed)
        sso.updated_at = timezone.now()
        try:
            with transaction.atomic():
                sso.save()
                sso.domains.exclude(domain__in=cleaned["domains"]).delete()
                have = set(sso.domains.values_list("domain", flat=True))
                SingleSignOnDomain.objects.bulk_create(
                    SingleSignOnDomain(single_sign_on=sso, domain=d)
                    for d in cleaned["domains"]
                    if d not in have
                )
        except IntegrityError:
            raise ValidationFailed(
                {"domains": ["Another partner's single sign-on covers this domain."]}
            ) from None
        after = _snapshot(get_single_sign_on(partner))
        changed = [k for k in after if after[k] != before.get(k)]
        record(
            actor=actor,
            action="partner.single_sign_on_updated",
            target=partner,
            partner=partner,
            before=_audited({k: before.get(k) for k in changed}),
            after=_audited({k: after[k] for k in changed}),
            reason="New client secret saved." if secret_changed and before else "",
        )
    return sso


def remove_single_sign_on(*, actor: Actor, partner: Partner) -> None:
    """Switch single sign-on off: the partner's staff sign in with passwords."""
    actor.require("partner.settings")
    partner = actor.require_partner(partner)
    with transaction.atomic():
        sso = get_single_sign_on(partner)
        if sso is None:
            raise NotFound(
                f"{partner.name} has no single sign-on.", code="no_single_sign_on"
            )
        before = _snapshot(sso)
        sso.delete()
        record(
            actor=actor,
            action="partner.single_sign_on_removed",
            target=partner,
            partner=partner,
            before=_audited(before),
            after=_snapshot(None),
        )


# Signing in.


def for_email(email: str) -> PartnerSingleSignOn | None:
    """The single sign-on covering this address's domain, if an active partner's."""
    canonical = canonical_email(email)
    _, at, domain = canonical.rpartition("@")
    if not at:
        return None
    found = (
        SingleSignOnDomain.objects.select_related(
            "single_sign_on", "single_sign_on__partner"
        )
        .filter(domain=domain, single_sign_on__partner__is_active=True)
        .first()
    )
    return found.single_sign_on if found else None


def password_refused(user: User) -> bool:
    """Whether this member of staff must sign in at their partner's provider."""
    if user.partner_id is None:
        return False
    sso = PartnerSingleSignOn.objects.filter(partner_id=user.partner_id).first()
    return sso is not None and not sso.password_sign_in_allowed


def role_for(sso: PartnerSingleSignOn, claims: dict) -> str | None:
    """The role of the first rule whose claim holds its value, or None."""
    for rule in sso.role_rules:
        held = claims.get(rule["claim"])
        values = held if isinstance(held, list) else [held]
        if rule["value"] in [str(v) for v in values if v is not None]:
            return rule["role"]
    return None


def _anonymous(source_ip, request_id) -> Actor:
    return Actor(
        kind="anonymous",
        label="anonymous",
        role="",
        partner=None,
        source_ip=source_ip,
        request_id=request_id,
    )


NO_ACCESS = (
    "Your organisation's sign-in worked, but it gives you no access to this "
    "console. Ask your partner admin."
)


def _refuse(sso, actor, reason: str, *, user: User | None = None, text=NO_ACCESS):
    record(
        actor=actor,
        action="staff.sso_refused",
        target=user,
        partner=sso.partner,
        outcome="refused",
        reason=reason,
    )
    return SignInRefused(text, code="sso_refused")


def sign_in(
    *,
    sso: PartnerSingleSignOn,
    claims: dict,
    source_ip: str | None = None,
    request_id: str = "",
) -> User:
    """The member of staff the provider's (verified) claims stand for, created
    on first sign-in, with the role the claims map to now. Raises SignInRefused,
    having switched the member off when their claims no longer map to a role
    (the refusal and the switching off are kept: they commit before it raises)."""
    with transaction.atomic():
        outcome = _sign_in(sso, claims, source_ip, request_id)
    if isinstance(outcome, SignInRefused):
        raise outcome
    return outcome


def _sign_in(sso, claims, source_ip, request_id) -> User | SignInRefused:
    from csrtool.partners.services import _end_sessions, _staff_snapshot

    anonymous = _anonymous(source_ip, request_id)
    partner = sso.partner
    email = str(claims.get("email") or "")
    canonical = canonical_email(email)
    domain = canonical.rpartition("@")[2]
    if not email or claims.get("email_verified") is False:
        return _refuse(sso, anonymous, "The provider gave no verified email address.")
    if not sso.domains.filter(domain=domain).exists():
        return _refuse(
            sso,
            anonymous,
            f"The provider vouched for an address outside the partner's "
            f"domains ({domain[:100]}).",
        )
    user = User.objects.select_for_update().filter(email_canonical=canonical).first()
    if user is not None and user.partner_id != partner.pk:
        # Someone of another partner (or an operator): never signed in here,
        # and the message does not say that the address exists elsewhere.
        return _refuse(
            sso,
            anonymous,
            "The address belongs to staff outside this partner.",
        )
    role = role_for(sso, claims)
    if role is None:
        if user is not None and user.is_active:
            before = _staff_snapshot(user)
            user.is_active = False
            user.save(update_fields=["is_active"])
            _end_sessions(user)
            record(
                actor=staff_actor(user, source_ip=source_ip, request_id=request_id),
                action="staff.updated",
                target=user,
                before={"is_active": before["is_active"]},
                after={"is_active": False},
                reason="Switched off: the provider's claims no longer give a role.",
            )
        actor = (
            staff_actor(user, source_ip=source_ip, request_id=request_id)
            if user
            else anonymous
        )
        return _refuse(
            sso, actor, "No role rule matches the provider's claims.", user=user
        )
    if user is not None and not user.is_active:
        return _refuse(
            sso,
            staff_actor(user, source_ip=source_ip, request_id=request_id),
            "The member of staff is switched off.",
            user=user,
            text="Your account here is switched off. Ask your partner admin.",
        )
    if user is None:
        user = User(
            email=email.strip(),
            email_canonical=canonical,
            full_name=str(claims.get("name") or "")[:100],
            role=role,
            partner=partner,
        )
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            # Signed in twice at once for the first time: the other one won.
            return SignInRefused(
                "You are already being signed in. Sign in again.", code="sso_race"
            )
        record(
            actor=staff_actor(user, source_ip=source_ip, request_id=request_id),
            action="staff.created",
            target=user,
            after=_staff_snapshot(user),
            reason="First sign-in through the partner's single sign-on.",
        )
    elif user.role != role:
        before_role = user.role
        user.role = role
        user.save(update_fields=["role"])
        record(
            actor=staff_actor(user, source_ip=source_ip, request_id=request_id),
            action="staff.role_changed",
            target=user,
            before={"role": before_role},
            after={"role": role},
            reason="The provider's claims map to another role now.",
        )
    record(
        actor=staff_actor(user, source_ip=source_ip, request_id=request_id),
        action="staff.sso_sign_in",
        target=user,
        after={"issuer": sso.issuer, "role": role},
    )
    return user
