"""Subscribers signing in to their CX Builder account.

Subscribers are not Django users: the portal keeps its own keys in the session,
next to a digest of the password hash, so changing the password ends every other
portal session. Failed logins count per (account, client IP), per client IP and per
account (see throttle and SECURITY.md);
every refusal reads the same, whatever the reason.
"""

import functools

from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import urlencode
from django.utils.translation import gettext_noop

from csrtool import throttle
from csrtool.audit.services import record
from csrtool.hosts import serves_partner
from csrtool.languages import use_subscriber_language
from csrtool.onboarding import hashing
from csrtool.onboarding.models import SubscriberCredentials
from csrtool.partners.access import Actor, subscriber_actor
from csrtool.subscribers.models import Status, Subscriber
from csrtool.validation import canonical_email

SESSION_KEY = "portal_subscriber_id"
HASH_SESSION_KEY = "portal_credentials_hash"

LOGIN_REFUSED = gettext_noop(
    "That email address and password do not match an active account. "
    "After too many attempts, signing in is paused for a while."
)


def request_actor(request, subscriber: Subscriber) -> Actor:
    return subscriber_actor(
        subscriber,
        source_ip=client_ip(request),
        request_id=getattr(request, "request_id", ""),
    )


def client_ip(request) -> str:
    # REMOTE_ADDR only: forwarded headers are not trusted unless a proxy sets them,
    # and then the proxy is REMOTE_ADDR's source of truth (a forged X-Forwarded-For
    # must not reset a counter).
    return request.META.get("REMOTE_ADDR") or ""


@functools.cache
def _dummy_hash() -> str:
    return hashing.hash_password("not a real password, only for equal timing")


def spend_equal_time(secret: str) -> None:
    """Verify against a throwaway hash, so an unknown account costs what a known one
    does (and answers just as late)."""
    hashing.verify_secret(_dummy_hash(), secret)


def credentials_digest(credentials: SubscriberCredentials) -> str:
    return salted_hmac(
        "csrtool.portal.session", credentials.password_hash, algorithm="sha256"
    ).hexdigest()


def sign_in_refused(*, canonical: str, source_ip: str, now) -> bool:
    """Whether a proof of identity for the account may not even be checked now: the
    pair (account, address) or the address is locked, or the account must wait."""
    return (
        throttle.is_locked(throttle.LOGIN_ACCOUNT, canonical, now=now)
        or throttle.is_locked(throttle.LOGIN_PAIR, (canonical, source_ip), now=now)
        or (
            bool(source_ip)
            and throttle.is_locked(throttle.LOGIN_IP, source_ip, now=now)
        )
    )


def forget_failures(canonical: str) -> None:
    """The account proved who it is: its slow-down and its pair locks end."""
    throttle.reset(throttle.LOGIN_ACCOUNT, canonical)
    throttle.reset_group(throttle.LOGIN_PAIR, canonical)


def authenticate(
    *,
    email: str,
    password: str,
    source_ip: str,
    request_id: str = "",
    now=None,
    partner=None,
) -> Subscriber | None:
    """The active subscriber whose login this is, or None (and one more failure).

    A refused try (see `sign_in_refused`) is not checked and not counted, so
    nobody can stretch a lock or a wait by trying on. With `partner` (a
    partner's own portal host), another partner's subscriber is unknown here."""
    now = now or timezone.now()
    canonical = canonical_email(email)
    refused = sign_in_refused(canonical=canonical, source_ip=source_ip, now=now)
    credentials = SubscriberCredentials.objects.select_related("subscriber__partner")
    if partner is not None:
        credentials = credentials.filter(subscriber__partner=partner)
    credentials = credentials.filter(subscriber__email_canonical=canonical).first()
    if credentials is None or refused:
        spend_equal_time(password)
        matched = False
    else:
        matched = hashing.check_password(credentials.password_hash, password)
    subscriber = credentials.subscriber if credentials else None
    if matched and subscriber.status == Status.ACTIVE and subscriber.partner.is_active:
        forget_failures(canonical)
        actor = subscriber_actor(subscriber, source_ip=source_ip, request_id=request_id)
        record(actor=actor, action="portal.login", target=subscriber)
        return subscriber
    if refused:
        if subscriber is not None:
            actor = subscriber_actor(
                subscriber, source_ip=source_ip, request_id=request_id
            )
            record(
                actor=actor,
                action="portal.login",
                target=subscriber,
                outcome="refused",
                reason="Sign-in paused after too many failed attempts.",
            )
        return None
    register_failure(
        subscriber=subscriber,
        canonical=canonical,
        source_ip=source_ip,
        request_id=request_id,
        action="portal.login",
        now=now,
    )
    return None


def register_failure(
    *,
    subscriber: Subscriber | None,
    canonical: str,
    source_ip: str,
    request_id: str,
    action: str,
    now,
) -> None:
    """Count a failed proof of identity against the pair (account, address), the
    address and the account."""
    with transaction.atomic():
        pair_locked = throttle.fail(
            throttle.LOGIN_PAIR, (canonical, source_ip), now=now
        )
        if source_ip:
            throttle.fail(throttle.LOGIN_IP, source_ip, now=now)
        slowed = throttle.fail(throttle.LOGIN_ACCOUNT, canonical, now=now)
        if subscriber is None:
            return
        actor = subscriber_actor(subscriber, source_ip=source_ip, request_id=request_id)
        record(actor=actor, action=action, target=subscriber, outcome="failure")
        if pair_locked:
            record(
                actor=actor,
                action="portal.locked_out",
                target=subscriber,
                outcome="refused",
                reason=(
                    "Too many failed attempts from this address; sign-in from it "
                    f"locked for {throttle.LOGIN_PAIR.period.seconds // 60} minutes."
                ),
            )
        if slowed:
            until = throttle.locked_until(throttle.LOGIN_ACCOUNT, canonical, now=now)
            record(
                actor=actor,
                action="portal.sign_in_slowed",
                target=subscriber,
                outcome="refused",
                reason=(
                    "Too many failed attempts; the next try is checked after "
                    f"{int((until - now).total_seconds())} seconds."
                ),
            )


def portal_login(request, subscriber: Subscriber) -> None:
    """Start a portal session for `subscriber` (after a login or their activation)."""
    credentials = SubscriberCredentials.objects.get(subscriber=subscriber)
    request.session.cycle_key()
    request.session[SESSION_KEY] = subscriber.pk
    request.session[HASH_SESSION_KEY] = credentials_digest(credentials)


def refresh_portal_session(request, credentials: SubscriberCredentials) -> None:
    """Keep this session after the subscriber changed their own password."""
    request.session.cycle_key()
    request.session[HASH_SESSION_KEY] = credentials_digest(credentials)


def portal_logout(request) -> None:
    # Only the portal's keys: a member of staff signed in in the same browser stays.
    request.session.pop(SESSION_KEY, None)
    request.session.pop(HASH_SESSION_KEY, None)
    request.session.cycle_key()


def current_subscriber(request) -> Subscriber | None:
    subscriber_id = request.session.get(SESSION_KEY)
    if subscriber_id is None:
        return None
    credentials = (
        SubscriberCredentials.objects.select_related("subscriber__partner")
        .filter(subscriber_id=subscriber_id)
        .first()
    )
    if credentials is None:
        return None
    subscriber = credentials.subscriber
    if not constant_time_compare(
        request.session.get(HASH_SESSION_KEY, ""), credentials_digest(credentials)
    ):
        return None
    if subscriber.status != Status.ACTIVE or not subscriber.partner.is_active:
        return None
    if not serves_partner(request, subscriber.partner):
        return None
    return subscriber


def portal_login_required(view):
    """Let in a signed-in, active subscriber and set request.subscriber."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        subscriber = current_subscriber(request)
        if subscriber is None:
            if request.session.get(SESSION_KEY) is not None:
                portal_logout(request)
            login_url = reverse("portal-login")
            return redirect(f"{login_url}?{urlencode({'next': request.path})}")
        request.subscriber = subscriber
        request.portal_actor = request_actor(request, subscriber)
        use_subscriber_language(request, subscriber)
        return view(request, *args, **kwargs)

    return wrapper
