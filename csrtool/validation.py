"""Checks shared by every door for the domain's free-form inputs.

Each function returns the cleaned value or raises DomainError naming the field, with
a message a CSR can act on.
"""

import contextlib
import unicodedata

import phonenumbers
from babel import Locale
from email_validator import EmailNotValidError, validate_email

from csrtool import timezones
from csrtool.errors import DomainError

EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = 100
BILLING_ID_MAX_LENGTH = 100


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value)


def clean_text(value, *, field: str, label: str, max_length: int) -> str:
    value = unicodedata.normalize("NFC", str(value or "")).strip()
    if not value:
        raise DomainError(f"{label} is required.", field=field, code="required")
    if len(value) > max_length:
        raise DomainError(
            f"{label} must be at most {max_length} characters (it has {len(value)}).",
            field=field,
            code="too_long",
        )
    if _has_control_characters(value):
        raise DomainError(f"{label} cannot contain control characters.", field=field)
    return value


def canonical_email(value: str) -> str:
    """The form used to compare logins: NFC, IDNA-normalised domain, case-folded."""
    value = unicodedata.normalize("NFC", str(value or "")).strip()
    with contextlib.suppress(EmailNotValidError):
        value = validate_email(value, check_deliverability=False).normalized
    return value.casefold()


def clean_email(value, *, field: str = "email", label: str = "Email Address"):
    """Return (address to store and send to, canonical form for uniqueness)."""
    value = unicodedata.normalize("NFC", str(value or "")).strip()
    if not value:
        raise DomainError(f"{label} is required.", field=field, code="required")
    if len(value) > EMAIL_MAX_LENGTH:
        raise DomainError(
            f"{label} must be at most {EMAIL_MAX_LENGTH} characters.",
            field=field,
            code="too_long",
        )
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as e:
        raise DomainError(
            f"Enter a valid email address ({e}).", field=field, code="invalid_email"
        ) from None
    if len(result.local_part) > 64:
        raise DomainError(
            "The part before the @ can be at most 64 characters.",
            field=field,
            code="invalid_email",
        )
    return result.normalized, result.normalized.casefold()


def clean_time_zone(value, *, field: str = "time_zone") -> str:
    value = str(value or "").strip()
    if not value:
        raise DomainError("Time Zone is required.", field=field, code="required")
    if not timezones.is_valid_zone(value):
        raise DomainError(
            f"{value[:64]!r} is not a time zone. Pick one from the list, "
            "e.g. America/New_York.",
            field=field,
            code="unknown_time_zone",
        )
    return value


def _country_name(region: str) -> str:
    return Locale.parse("en").territories.get(region, region)


def _valid_in(raw: str, region: str | None):
    """The number `raw` reads as in `region`, if it is a valid one there."""
    if not region:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def clean_phone(
    value,
    *,
    region: str | None,
    home_region: str | None = None,
    field: str = "phone",
    label: str = "Phone Number",
) -> str:
    """Parse a contact number in any common format and return it as E.164.

    A number typed without + is read in `region` (the time zone's country); when
    it is not valid there but is in `home_region` (the partner's country), the
    message says so and offers that reading."""
    raw = str(value or "").strip()
    if not raw:
        raise DomainError(f"{label} is required.", field=field, code="required")
    if len(raw) > 40:
        raise DomainError(f"{label} is too long.", field=field, code="too_long")
    home = None
    if home_region and home_region != region and not raw.startswith("+"):
        home = _valid_in(raw, home_region)
    offer = home and phonenumbers.format_number(
        home, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    partners = offer and f"{home_region} ({_country_name(home_region)}, your partner's"
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        hint = "" if region else " Start it with + and the country code."
        if offer and not region:
            hint = (
                f" The time zone has no country to read it in; it is valid for "
                f"{partners} country). Did you mean {offer}?"
            )
        raise DomainError(
            f"{label} is not a phone number.{hint}", field=field, code="invalid_phone"
        ) from None
    if not phonenumbers.is_valid_number(number):
        if offer:
            raise DomainError(
                f"{label} is not a valid number for {region} "
                f"({_country_name(region)}, the time zone's country), but it is "
                f"for {partners} country). Did you mean {offer}?",
                field=field,
                code="invalid_phone",
            )
        country = phonenumbers.region_code_for_country_code(number.country_code)
        where = f" for {country}" if country and country != "ZZ" else ""
        raise DomainError(
            f"{label} is not a valid number{where}.",
            field=field,
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """E.164 shown the way people read it: +1 212-555-0100."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
