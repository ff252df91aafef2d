"""Who is acting, and what they may do: the one authorization layer.

Every door builds an Actor (a signed-in member of staff, an API key, the CLI) and
passes it to services, which call `actor.require(...)` and scope reads with
`Model.objects.for_actor(actor)`.
"""

import functools
import getpass
from dataclasses import dataclass, replace

from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from csrtool.errors import NotFound, PermissionDenied
from csrtool.partners.models import Partner, Role, User
from csrtool.validation import canonical_email

_READ = {
    "subscribers.view",
    "audit.view",
    "pool.view",
    "features.view",
    "staff.view",
}
_CSR = _READ | {
    "subscribers.add",
    "subscribers.change",
    "numbers.assign",
    "features.change",
    "callers.verify",
}
_ADMIN = _CSR | {
    "staff.manage",
    "pool.manage",
    "plans.manage",
    "keys.manage",
    "partner.settings",
    "audit.export",
}
PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OPERATOR: frozenset(_ADMIN | {"partners.manage", "catalog.manage"}),
    Role.PARTNER_ADMIN: frozenset(_ADMIN),
    Role.CSR: frozenset(_CSR),
    Role.AUDITOR: frozenset(_READ | {"audit.export"}),
}


@dataclass(frozen=True)
class Actor:
    kind: str  # staff | api_key | cli | subscriber | system
    label: str
    role: str
    partner: Partner | None
    user: User | None = None
    channel: str = "web"  # web | api | cli | portal | worker
    source_ip: str | None = None
    request_id: str = ""

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDenied("You do not have permission to do that.")

    def require_partner(self, partner: Partner | None) -> Partner:
        """The partner an action applies to: the actor's own, or the operator's pick."""
        if self.is_operator:
            if partner is None:
                raise NotFound(
                    "Choose a partner.", field="partner", code="partner_required"
                )
            return partner
        if partner is not None and partner.pk != self.partner.pk:
            raise NotFound("No such partner.", field="partner")
        return self.partner

    def for_partner(self, partner: Partner) -> "Actor":
        return replace(self, partner=partner)


def staff_actor(user: User, *, channel="web", source_ip=None, request_id="") -> Actor:
    return Actor(
        kind="staff",
        label=user.email,
        role=user.role,
        partner=user.partner,
        user=user,
        channel=channel,
        source_ip=source_ip,
        request_id=request_id,
    )


def cli_actor(*, as_user: User | None = None) -> Actor:
    """The CLI acts as the operating-system user, or as a named member of staff."""
    os_user = getpass.getuser()
    if as_user is not None:
        actor = staff_actor(as_user, channel="cli")
        return replace(actor, label=f"{as_user.email} (cli:{os_user})")
    return Actor(
        kind="cli",
        label=f"cli:{os_user}",
        role=Role.OPERATOR,
        partner=None,
        channel="cli",
    )


def subscriber_actor(subscriber, *, source_ip=None, request_id="") -> Actor:
    """The subscriber acting on their own account (onboarding, portal)."""
    return Actor(
        kind="subscriber",
        label=subscriber.email,
        role="",
        partner=subscriber.partner,
        channel="portal",
        source_ip=source_ip,
        request_id=request_id,
    )


SYSTEM = Actor(kind="system", label="system", role="", partner=None, channel="worker")


def actor_from_request(request) -> Actor:
    return staff_actor(
        request.user,
        source_ip=request.META.get("REMOTE_ADDR"),
        request_id=getattr(request, "request_id", ""),
    )


def staff_required(permission: str | None = None):
    """Let in signed-in, active staff (with `permission`), and set request.actor.

    A missing permission answers 404, like an unknown page: a CSR learns nothing
    about pages meant for others.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated or not user.is_active:
                return redirect_to_login(request.get_full_path())
            if user.partner_id and not user.partner.is_active:
                return redirect_to_login(request.get_full_path())
            request.actor = actor_from_request(request)
            if permission and not request.actor.can(permission):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def axes_username(request, credentials) -> str:
    """Count failed logins against the canonical address, however it was typed."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return canonical_email(username)
