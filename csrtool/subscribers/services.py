"""Every write to subscribers: typed, keyword-only, one transaction, audited."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from csrtool import timezones, validation
from csrtool.audit.services import record, record_many
from csrtool.bulkinsert import insert_many
from csrtool.errors import Conflict, DomainError, NotFound, ValidationFailed
from csrtool.partners.access import Actor
from csrtool.partners.models import Partner
from csrtool.prepared import Prepared
from csrtool.subscribers import hooks
from csrtool.subscribers.models import Status, Subscriber

# Marked here, translated where a subscriber may read them (check_login_free).
EMAIL_TAKEN = gettext_noop("This email address is already in use.")

EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "contact_email",
    "phone",
    "time_zone",
    "language",
    "billing_id",
)


def _subscriber_by(shape, *values):
    """The actor's subscriber with its partner by one unique column:
    `get_subscriber`'s and `find_subscriber`'s query, compiled once per shape."""
    operator, column, for_update = shape
    values = list(values)
    queryset = Subscriber.objects.select_related("partner")
    if not operator:
        queryset = queryset.filter(partner_id=values.pop(0))
    if for_update:
        queryset = queryset.select_for_update()
    return queryset.filter(**{column: values.pop(0)})[:1]


_SUBSCRIBER_BY = Prepared(_subscriber_by)


def _subscriber(actor: Actor, column: str, value: str, for_update=False):
    shape = (actor.is_operator, column, for_update)
    scope = [] if actor.is_operator else [actor.partner.pk]
    found = _SUBSCRIBER_BY.rows(shape, *scope, value)
    return found[0] if found else None


def get_subscriber(*, actor: Actor, public_id: str, for_update=False) -> Subscriber:
    """Load by Subscriber ID within the actor's partner; foreign IDs look unknown."""
    actor.require("subscribers.view")
    public_id = str(public_id or "").strip().lower()
    # No ID holds a refused character; PostgreSQL cannot even compare a NUL.
    found = None
    if not validation.refused_character(public_id):
        found = _subscriber(actor, "public_id", public_id, for_update)
    if found is None:
        raise NotFound(
            f"No subscriber has the Subscriber ID {public_id[:40]!r}.",
            field="subscriber_id",
        )
    return found


def find_subscriber(*, actor: Actor, value: str) -> Subscriber:
    """By Subscriber ID or by login email address (through its unique canonical
    column); another partner's subscriber answers like an unknown one."""
    value = str(value or "").strip()
    if "@" not in value:
        return get_subscriber(actor=actor, public_id=value)
    actor.require("subscribers.view")
    canonical = validation.canonical_email(value[:254])
    found = None
    if not validation.refused_character(canonical):
        found = _subscriber(actor, "email_canonical", canonical)
    if found is None:
        raise NotFound(
            f"No subscriber has the login email {value[:254]!r}.",
            field="subscriber_id",
        )
    return found


EMAIL_LOOKS_TAKEN = gettext_noop(
    "This email address looks the same as one already in use."
)


def check_login_free(canonical: str, *, field: str = "email") -> None:
    """Refuse a login address in use, or one that passes for an address in use
    written in another script (UTS #39 whole-script confusables)."""
    if Subscriber.objects.filter(email_canonical=canonical).exists():
        raise DomainError(gettext(EMAIL_TAKEN), field=field, code="email_taken")
    look_alikes = validation.email_look_alikes(canonical)
    if (
        look_alikes
        and Subscriber.objects.filter(email_canonical__in=look_alikes).exists()
    ):
        raise DomainError(gettext(EMAIL_LOOKS_TAKEN), field=field, code="email_taken")


def _clean_new_login(value) -> tuple[str, str]:
    address, canonical = validation.clean_email(value)
    check_login_free(canonical)
    return address, canonical


def _clean_fields(data: dict, *, partner: Partner, fields) -> dict:
    """Validate each given field, collecting every message before raising."""
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}

    def attempt(field, func):
        try:
            cleaned[field] = func()
        except DomainError as e:
            errors.setdefault(e.field or field, []).append(e.message)

    for field, label in (("first_name", "First Name"), ("last_name", "Last Name")):
        if field in fields:
            attempt(
                field,
                lambda f=field, lb=label: validation.clean_text(
                    data.get(f),
                    field=f,
                    label=lb,
                    max_length=validation.NAME_MAX_LENGTH,
                    compatibility=True,
                ),
            )
    if "email" in fields:
        attempt("email", lambda: _clean_new_login(data.get("email")))
    if "contact_email" in fields:
        value = str(data.get("contact_email") or "").strip()
        if value:
            attempt(
                "contact_email",
                lambda: validation.clean_email(
                    value, field="contact_email", label="Contact email"
                )[0],
            )
        else:
            cleaned["contact_email"] = ""
    if "time_zone" in fields:
        attempt(
            "time_zone",
            lambda: validation.clean_time_zone(data.get("time_zone") or ""),
        )
    if "language" in fields:
        attempt("language", lambda: validation.clean_language(data.get("language")))
    if "phone" in fields:
        zone = cleaned.get("time_zone") or data.get("time_zone") or partner.time_zone
        region = (
            timezones.zone_territory(zone) if timezones.is_valid_zone(zone) else None
        )
        attempt(
            "phone",
            lambda: validation.clean_phone(
                data.get("phone"),
                region=region,
                home_region=timezones.zone_territory(partner.time_zone),
            ),
        )
    if "billing_id" in fields:
        attempt(
            "billing_id",
            lambda: validation.clean_text(
                data.get("billing_id"),
                field="billing_id",
                label="Billing ID",
                max_length=validation.BILLING_ID_MAX_LENGTH,
                compatibility=True,
            ),
        )
    if errors:
        raise ValidationFailed(errors)
    return cleaned


ACCOUNT_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "time_zone",
    "language",
    "billing_id",
)


def clean_new_account(data: dict, *, partner: Partner) -> dict:
    """The values of a new account as `create_subscribers` takes them: each field
    checked as `create_subscriber` checks it (every message collected in one
    ValidationFailed), the login email as `email` and `email_canonical`. Whether
    the login email is free is not asked here: see `logins_taken`."""
    data = {
        **data,
        "time_zone": data.get("time_zone") or partner.time_zone,
        "language": data.get("language") or partner.default_language,
    }
    try:
        cleaned = _clean_fields(data, partner=partner, fields=ACCOUNT_FIELDS)
    except ValidationFailed as e:
        errors = e.errors
        cleaned = None
    else:
        errors = {}
    try:
        address, canonical = validation.clean_email(data.get("email"))
    except DomainError as e:
        errors.setdefault("email", []).append(e.message)
    if errors:
        raise ValidationFailed(errors)
    return {**cleaned, "email": address, "email_canonical": canonical}


def logins_taken(canonicals) -> dict[str, str]:
    """Of these canonical login emails, those in use or passing for one in use
    (as `check_login_free` decides for one), with why: two queries for all."""
    canonicals = set(canonicals)
    used = set(
        Subscriber.objects.filter(email_canonical__in=canonicals).values_list(
            "email_canonical", flat=True
        )
    )
    taken = {canonical: EMAIL_TAKEN for canonical in used}
    look_alikes = {
        canonical: validation.email_look_alikes(canonical)
        for canonical in canonicals - used
    }
    wanted = set().union(*look_alikes.values())
    if wanted:
        found = set(
            Subscriber.objects.filter(email_canonical__in=wanted).values_list(
                "email_canonical", flat=True
            )
        )
        taken.update(
            (canonical, EMAIL_LOOKS_TAKEN)
            for canonical, alikes in look_alikes.items()
            if alikes & found
        )
    return taken


def create_subscribers(
    *,
    actor: Actor,
    partner: Partner,
    accounts: list[dict],
    welcome: bool = True,
    welcome_at: list[datetime | None] | None = None,
) -> list[Subscriber]:
    """Add many enterprise accounts at once (a bulk import): what
    `create_subscriber` does for each (audit row, event, welcome email held back
    until its `welcome_at`), with one INSERT per table.

    `accounts` are values as `clean_new_account` returns them, their login
    emails not in `logins_taken`; one taken meanwhile raises IntegrityError and
    nothing is written."""
    actor.require("subscribers.add")
    partner = actor.require_partner(partner)
    subscribers = [
        Subscriber(partner=partner, created_by=actor.user, **values)
        for values in accounts
    ]
    with transaction.atomic():
        insert_many(Subscriber, subscribers)
        ids = dict(
            Subscriber.objects.filter(
                public_id__in=[subscriber.public_id for subscriber in subscribers]
            ).values_list("public_id", "pk")
        )
        for subscriber in subscribers:
            subscriber.pk = ids[subscriber.public_id]
            subscriber._state.adding = False
        record_many(
            actor=actor,
            changes=[
                {
                    "action": "subscriber.created",
                    "target": subscriber,
                    "after": subscriber.audit_snapshot(),
                }
                for subscriber in subscribers
            ],
        )
        hooks.created_together(
            actor=actor,
            subscribers=subscribers,
            welcome=welcome,
            welcome_at=welcome_at,
        )
    return subscribers


def create_subscriber(
    *,
    actor: Actor,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    billing_id: str,
    time_zone: str | None = None,
    language: str | None = None,
    partner: Partner | None = None,
    welcome: bool = True,
    welcome_at: datetime | None = None,
) -> Subscriber:
    """Add an enterprise account in pending_activation, its welcome email queued
    (held back until `welcome_at`; none with `welcome=False`: a bulk import's
    "create now, invite later")."""
    actor.require("subscribers.add")
    partner = actor.require_partner(partner)
    data = {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": phone,
        "time_zone": time_zone or partner.time_zone,
        "language": language or partner.default_language,
        "billing_id": billing_id,
    }
    cleaned = _clean_fields(data, partner=partner, fields=data.keys())
    address, canonical = cleaned.pop("email")
    try:
        with transaction.atomic():
            subscriber = Subscriber.objects.create(
                partner=partner,
                email=address,
                email_canonical=canonical,
                created_by=actor.user,
                **cleaned,
            )
            record(
                actor=actor,
                action="subscriber.created",
                target=subscriber,
                after=subscriber.audit_snapshot(),
            )
            # The welcome email's job commits with the subscriber, or neither does
            # (onboarding registers it: see hooks.py).
            hooks.created(
                actor=actor,
                subscriber=subscriber,
                welcome=welcome,
                welcome_at=welcome_at,
            )
    except IntegrityError as e:
        # Two creates of one address raced past the check above; the unique
        # constraint settled it.
        if "email" in str(e).lower():
            raise ValidationFailed({"email": [EMAIL_TAKEN]}) from None
        raise
    return subscriber


def update_subscriber(*, actor: Actor, public_id: str, **changes) -> Subscriber:
    """Change the fields a CSR may edit; the date format follows the time zone."""
    actor.require("subscribers.change")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(
            f"These fields cannot be changed: {', '.join(sorted(unknown))}."
        )
    with transaction.atomic():
        subscriber = get_subscriber(actor=actor, public_id=public_id, for_update=True)
        if subscriber.status == Status.CLOSED:
            raise Conflict("This account is closed and can no longer be changed.")
        data = {"time_zone": subscriber.time_zone, **changes}
        cleaned = _clean_fields(data, partner=subscriber.partner, fields=changes.keys())
        _save_changes(actor, subscriber, cleaned)
    return subscriber


def _save_changes(actor, subscriber: Subscriber, values: dict, reason="") -> bool:
    """Set and save the fields that differ, audited with before and after."""
    before = subscriber.audit_snapshot()
    for field, value in values.items():
        setattr(subscriber, field, value)
    after = subscriber.audit_snapshot()
    changed = {k for k in after if after[k] != before[k]}
    if not changed:
        return False
    subscriber.updated_at = timezone.now()
    # The canonical form of the login email is stored beside it, unaudited.
    columns = ["email_canonical"] if "email" in changed else []
    subscriber.save(update_fields=[*changed, *columns, "updated_at"])
    record(
        actor=actor,
        action="subscriber.updated",
        target=subscriber,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
        reason=reason,
    )
    return True


def correct_login_email(*, actor: Actor, subscriber: Subscriber, email) -> bool:
    """Correct the login email of a subscriber still waiting for activation (a
    welcome email sent to a mistyped address), in the caller's transaction,
    which holds the row. Returns whether it changed."""
    actor.require("subscribers.change")
    if subscriber.status != Status.PENDING_ACTIVATION:
        raise Conflict(
            "The login email can only be corrected here while the account is "
            "pending activation; the subscriber changes it in their account.",
            field="email",
            code="not_pending_activation",
        )
    address, canonical = validation.clean_email(email)
    if address == subscriber.email:
        return False
    if canonical != subscriber.email_canonical:
        check_login_free(canonical)
    return _save_changes(
        actor,
        subscriber,
        {"email": address, "email_canonical": canonical},
        reason="Login email corrected before activation",
    )


_TRANSITIONS = {
    "suspend": ({Status.ACTIVE, Status.PENDING_ACTIVATION}, Status.SUSPENDED),
    "reactivate": ({Status.SUSPENDED}, None),
    "close": (
        {Status.PENDING_ACTIVATION, Status.ACTIVE, Status.SUSPENDED},
        Status.CLOSED,
    ),
}


def change_status(
    *, actor: Actor, public_id: str, transition: str, reason: str = ""
) -> Subscriber:
    """Suspend, reactivate or close an account, with the reason in the audit log."""
    actor.require("subscribers.change")
    if transition not in _TRANSITIONS:
        raise DomainError(f"Unknown status change {transition!r}.")
    allowed_from, target = _TRANSITIONS[transition]
    reason = str(reason or "").strip()[:500]
    with transaction.atomic():
        subscriber = get_subscriber(actor=actor, public_id=public_id, for_update=True)
        if subscriber.status not in allowed_from:
            raise Conflict(
                f"An account that is {subscriber.get_status_display().lower()} "
                f"cannot be {transition}d.",
                code="invalid_transition",
            )
        if target is None:
            # Reactivating returns to where the subscriber was before suspension.
            target = (
                Status.ACTIVE
                if subscriber.activated_at
                else (Status.PENDING_ACTIVATION)
            )
        before = subscriber.status
        subscriber.status = target
        subscriber.updated_at = timezone.now()
        fields = ["status", "updated_at"]
        if target == Status.CLOSED:
            subscriber.closed_at = subscriber.updated_at
            fields.append("closed_at")
        subscriber.save(update_fields=fields)
        record(
            actor=actor,
            action=f"subscriber.{transition}",
            target=subscriber,
            before={"status": before},
            after={"status": target},
            reason=reason,
        )
        if target == Status.CLOSED:
            # The number pool releases the account's numbers (see hooks.py).
            hooks.closed(actor=actor, subscriber=subscriber, now=subscriber.closed_at)
    return subscriber
