"""A new customer in one go: the account, its number and its features together.

`open_account` calls the services each step has on its own (create_subscriber,
assign_number, apply_plan, change_features) inside one transaction: every step is
audited as it always is, the welcome email's job commits with the account, and a
number taken meanwhile or a feature that cannot be granted leaves nothing behind.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

import phonenumbers
from django.db import transaction

from csrtool.errors import NotFound
from csrtool.features import services as feature_services
from csrtool.features.catalog import feature_state
from csrtool.features.models import Plan
from csrtool.numberpool import services as number_services
from csrtool.numberpool.lines import parse_number, region_for
from csrtool.numberpool.models import PhoneNumber
from csrtool.partners.access import Actor
from csrtool.partners.models import Partner
from csrtool.subscribers import services as subscriber_services
from csrtool.subscribers.models import Subscriber

NUMBER_CHOICES = 30


@dataclass
class NewAccount:
    subscriber: Subscriber
    number: PhoneNumber | None = None
    features: set[str] = field(default_factory=set)
    plan: str = ""


def open_account(
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
    number: str = "",
    plan: int | str | None = None,
    features: Iterable[str] = (),
    enable_dependencies: bool = False,
    welcome: bool = True,
    welcome_at=None,
) -> NewAccount:
    """Add an enterprise account and, when given, assign it `number` and enable
    `plan` and/or `features` (added on top of the plan): all or nothing."""
    number = str(number or "").strip()
    features = [str(k).strip() for k in features if str(k).strip()]
    plan = None if plan in (None, "") else plan
    if number:
        actor.require("numbers.assign")
    if features or plan is not None:
        actor.require("features.change")
    with transaction.atomic():
        subscriber = subscriber_services.create_subscriber(
            actor=actor,
            partner=partner,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            billing_id=billing_id,
            time_zone=time_zone,
            language=language,
            welcome=welcome,
            welcome_at=welcome_at,
        )
        result = NewAccount(subscriber=subscriber)
        if number:
            result.number = number_services.assign_number(
                actor=actor, number=number, subscriber_id=subscriber.public_id
            )
        if plan is not None:
            feature_services.apply_plan(
                actor=actor,
                public_id=subscriber.public_id,
                plan_id=_plan_id(subscriber.partner, plan),
            )
        if features:
            feature_services.change_features(
                actor=actor,
                public_id=subscriber.public_id,
                enable=features,
                enable_dependencies=enable_dependencies,
            )
        if plan is not None or features:
            state = feature_state(subscriber)
            result.features = state.enabled
            result.plan = state.plan_name if state.plan else ""
    return result


def _plan_id(partner: Partner, plan: int | str):
    """A plan by its ID or, as typed on the command line, by its name."""
    text = str(plan).strip()
    if text.isdigit():
        return int(text)
    found = Plan.objects.for_partner(partner).filter(name=text).first()
    if found is None:
        raise NotFound(f"No plan is named {text[:60]!r}.", field="plan")
    return found.pk


def area_of(phone: str) -> tuple[str, str]:
    """The country code and area code of a contact phone (E.164), or blanks."""
    try:
        parsed = phonenumbers.parse(str(phone or ""), None)
    except phonenumbers.NumberParseException:
        return "", ""
    national = phonenumbers.national_significant_number(parsed)
    length = phonenumbers.length_of_geographical_area_code(parsed)
    if not length:
        length = phonenumbers.length_of_national_destination_code(parsed)
    return str(parsed.country_code), national[:length] if length else ""


def numbers_for(
    *,
    actor: Actor,
    partner: Partner,
    phone: str = "",
    digits: str = "",
    limit: int = NUMBER_CHOICES,
) -> list[tuple[PhoneNumber, bool]]:
    """Available numbers of the partner's pool that fit a customer: those in the
    contact phone's country and area first (flagged True), then the rest of the
    pool; typed digits narrow both to numbers whose DNIS contains them."""
    actor.require("numbers.assign")
    pool = PhoneNumber.objects.for_partner(partner).available()
    digits = "".join(ch for ch in str(digits or "") if ch.isdigit())[:15]
    if digits:
        pool = pool.search_digits(digits)
    country, area = _phone_area(phone, partner)
    near: list[PhoneNumber] = []
    if country and area:
        # The pool's own filter reads the area as one range of its number index.
        near = pool.filtered(country_code=country, area_code=area).in_order()
        near = list(near[:limit])
    rest = pool.exclude(pk__in=[n.pk for n in near]).in_order()
    rest = list(rest[: limit - len(near)])
    return [(n, True) for n in near] + [(n, False) for n in rest]


def _phone_area(phone: str, partner: Partner) -> tuple[str, str]:
    parsed = parse_number(phone, region_for(partner))
    if parsed is None:
        return "", ""
    return area_of(
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    )
