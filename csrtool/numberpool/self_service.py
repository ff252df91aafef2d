"""Subscribers adding and releasing their own numbers in the portal.

The claim is the CSR assignment's: one conditional UPDATE that only an available
row (or the subscriber's own hold or aging number) satisfies, so of two
subscribers racing for one number exactly one gets it. A release ages the number
like a CSR's unassign. Both are audited with the subscriber as the actor.
"""

from datetime import datetime

import phonenumbers
from babel import Locale
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from csrtool.errors import Conflict, NotFound, PermissionDenied
from csrtool.numberpool.models import (
    NumberStatus,
    NumberType,
    PhoneNumber,
    claimable,
    prefix_end,
)
from csrtool.numberpool.services import (
    assign_line,
    ensure_assignable,
    release_line,
)
from csrtool.partners.access import Actor
from csrtool.scoping import each_value
from csrtool.subscribers.models import Status, Subscriber

OFFER_LIMIT = 50


def self_service_refusal(subscriber: Subscriber) -> str:
    """Why the subscriber cannot change their numbers here, or "" when they can."""
    partner = subscriber.partner
    if partner.self_service_numbers:
        return ""
    contact = partner.support_email or partner.support_phone
    off = gettext(
        "Adding or releasing phone numbers yourself is turned off for your account."
    )
    if contact:
        how = gettext(
            "Contact %(partner)s support at %(contact)s to change your numbers."
        ) % {"partner": partner.name, "contact": contact}
    else:
        how = gettext("Contact %(partner)s support to change your numbers.") % {
            "partner": partner.name
        }
    return f"{off} {how}"


def _require_self_service(actor: Actor, subscriber: Subscriber) -> None:
    if actor.kind != "subscriber" or actor.partner is None:
        raise PermissionDenied(
            gettext("Only the subscriber can do this in their account.")
        )
    if actor.partner.pk != subscriber.partner_id:
        raise PermissionDenied(
            gettext("Only the subscriber can do this in their account.")
        )
    refusal = self_service_refusal(subscriber)
    if refusal:
        raise PermissionDenied(refusal, code="self_service_off")
    if subscriber.status != Status.ACTIVE:
        raise Conflict(
            gettext("Your account is not active, so its numbers cannot change."),
            code="subscriber_not_active",
        )


def offered_numbers(subscriber: Subscriber, now: datetime | None = None):
    """The numbers of the subscriber's partner that the subscriber may take now."""
    now = now or timezone.now()
    return PhoneNumber.objects.for_partner(subscriber.partner).filter(
        claimable(now, subscriber)
    )


def country_name(code: str) -> str:
    region = phonenumbers.region_code_for_country_code(int(code or 0))
    # Named in the language of the moment (the subscriber's, in the portal).
    locale = Locale.parse(translation.get_language() or "en", sep="-")
    name = locale.territories.get(region, "") if region != "ZZ" else ""
    return f"{name} (+{code})" if name else f"+{code}"


def offered_in(subscriber: Subscriber, country_code: str, area_code: str, now=None):
    """Up to OFFER_LIMIT numbers of a country and area code that the subscriber
    may take, by type, then number: each type read from the pool's index by
    area code, type and number, within the range of numbers the codes give
    (sorted by type over the whole pool, area 212 took a second at a million
    numbers)."""
    offered = offered_numbers(subscriber, now)
    lines = []
    for number_type in sorted(NumberType.values):
        if len(lines) >= OFFER_LIMIT:
            break
        of_type = offered.filtered(
            country_code=country_code, area_code=area_code, number_type=number_type
        )
        lines += of_type.in_order()[: OFFER_LIMIT - len(lines)]
    return lines


def offered_countries(subscriber: Subscriber, now=None) -> list[tuple[str, str]]:
    """The countries of the numbers the subscriber may take, by code.

    A number starts with its country code, and no country code starts
    another: each country is one seek of the pool's index in number order,
    then past its numbers (reading them all took 500 ms at a million)."""
    offered = offered_numbers(subscriber, now).order_by("number")
    codes, start = [], "+"
    while start is not None:
        found = offered.filter(number__gte=start).values_list("country_code")[:1]
        if not found:
            break
        ((code,),) = found
        codes.append(code)
        start = prefix_end("+" + code) if code else None
    return [(code, country_name(code)) for code in sorted(codes)]


def offered_area_codes(subscriber: Subscriber, country_code: str, now=None):
    """The area codes of a country's numbers that the subscriber may take.

    The pool's area codes are read one seek each from its index by area code
    (a recursive query), and each is kept where a number the subscriber may
    take holds it in that country: a seek of the same index, by area code and
    the country's range of numbers (reading every number of the country took
    2.3 s at a million)."""
    table = PhoneNumber._meta.db_table
    prefix = "+" + str(country_code)
    held = offered_numbers(subscriber, now).filter(number__gte=prefix)
    end = prefix_end(prefix)
    if end is not None:
        held = held.filter(number__lt=end)
    held = held.extra(where=[f'"{table}"."area_code" = seen.value'])  # noqa: S610
    inner, inner_params = held.values("pk").query.sql_with_params()
    areas, params = each_value(table, "area_code", subscriber.partner_id)
    statement = (
        f"{areas}SELECT value FROM seen "  # noqa: S608
        f"WHERE value IS NOT NULL AND EXISTS({inner}) ORDER BY value"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, *inner_params])
        return [code for (code,) in cursor.fetchall()]


def claim_number(
    *,
    actor: Actor,
    subscriber: Subscriber,
    dnis: str,
    now: datetime | None = None,
) -> PhoneNumber:
    """Add an available number of the partner's pool to the subscriber's account."""
    _require_self_service(actor, subscriber)
    now = now or timezone.now()
    taken = Conflict(
        gettext("That number has just been taken. Choose another one."),
        field="number",
        code="already_assigned",
    )
    with transaction.atomic():
        line = (
            PhoneNumber.objects.for_partner(subscriber.partner)
            .select_related("partner")
            .filter(dnis=str(dnis or "").strip()[:20])
            .first()
        )
        if line is None:
            raise NotFound(gettext("That number is not available. Choose another one."))
        ensure_assignable(subscriber=subscriber, line=line)
        if line.status == NumberStatus.ASSIGNED and line.subscriber_id == subscriber.pk:
            raise Conflict(gettext("That number is already yours."), field="number")
        if not assign_line(actor=actor, line=line, subscriber=subscriber, now=now):
            raise taken
    return line


def release_number(
    *,
    actor: Actor,
    subscriber: Subscriber,
    dnis: str,
    now: datetime | None = None,
) -> PhoneNumber:
    """Give one of the subscriber's numbers back: it ages for the partner's period,
    during which the subscriber can take it back."""
    _require_self_service(actor, subscriber)
    now = now or timezone.now()
    with transaction.atomic():
        line = (
            PhoneNumber.objects.for_partner(subscriber.partner)
            .select_related("partner", "subscriber")
            .select_for_update(of=("self",))
            .filter(
                dnis=str(dnis or "").strip()[:20],
                subscriber=subscriber,
                status=NumberStatus.ASSIGNED,
            )
            .first()
        )
        if line is None:
            raise NotFound(
                gettext("That number is not one of your numbers."), field="number"
            )
        release_line(actor=actor, line=line, now=now)
    return line
