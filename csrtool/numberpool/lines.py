"""The fields of a pool line, checked the same way by every door (page, import,
API, CLI): number in any common format stored as E.164, DNIS digits consistent
with it, type, country code and area code matching it."""

import re

import phonenumbers

from csrtool import timezones
from csrtool.errors import ValidationFailed
from csrtool.numberpool.models import NumberType
from csrtool.partners.models import Partner
from csrtool.validation import parse_e164

DNIS_MAX_LENGTH = 15
_NON_DIGITS = re.compile(r"\D")
_NUMBER_CHARACTERS = re.compile(r"^[+()\d\s.\-/]+$")
_TYPES = frozenset(NumberType.values)


def region_for(partner: Partner | None) -> str | None:
    """The region a number typed without + is read in: the partner's country."""
    if partner is None:
        return None
    return timezones.zone_territory(partner.time_zone)


def parse_number(raw: str, region: str | None):
    """A valid phonenumbers number from any common format, or None."""
    raw = str(raw or "").strip()
    if not raw or len(raw) > 40 or not _NUMBER_CHARACTERS.match(raw):
        return None
    if raw.startswith("+"):
        number = parse_e164(raw)
        if number is not None:
            return number if phonenumbers.is_valid_number(number) else None
        candidates = [(raw, None)]
    elif region:
        candidates = [(raw, region)]
    else:
        # No country to read it in: take the digits as an international number.
        candidates = [("+" + _NON_DIGITS.sub("", raw), None)]
    for text, default_region in candidates:
        try:
            number = phonenumbers.parse(text, default_region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return number
    return None


def e164(number) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def number_keys(raw: str, region: str | None) -> tuple[str, str | None]:
    """What a typed value can match: its digits (a DNIS) and, when it is a
    complete valid number, its E.164 form."""
    raw = str(raw or "").strip()[:40]
    if not _NUMBER_CHARACTERS.match(raw or "x"):
        return "", None
    number = parse_number(raw, region)
    return _NON_DIGITS.sub("", raw), (e164(number) if number else None)


def dnis_matches(dnis: str, number) -> bool:
    """Whether `dnis` is one of the number's DNIS forms (the common two first)."""
    national = phonenumbers.national_significant_number(number)
    if dnis in (national, f"{number.country_code}{national}"):
        return True
    return dnis in dnis_forms(number)


def dnis_forms(number) -> set[str]:
    """The digit strings a carrier may deliver for a number: its national
    significant number, with the country code, or with the national prefix."""
    national = phonenumbers.national_significant_number(number)
    forms = {national, f"{number.country_code}{national}"}
    region = phonenumbers.region_code_for_number(number)
    metadata = (
        phonenumbers.PhoneMetadata.metadata_for_region(region) if region else None
    )
    if metadata is not None and metadata.national_prefix:
        forms.add(f"{metadata.national_prefix}{national}")
    return forms


def derived_dnis(number, region: str | None) -> str:
    """The DNIS a carrier in the partner's country delivers for a number: its
    national digits for a number of that country, else the country code too."""
    national = phonenumbers.national_significant_number(number)
    if region and number.country_code == phonenumbers.country_code_for_region(region):
        return national
    return f"{number.country_code}{national}"


def clean_line(
    *,
    number,
    dnis,
    number_type,
    country_code,
    area_code="",
    region: str | None,
    derive: bool = False,
) -> dict:
    """Check every field of a line, collecting all messages before raising.

    With `derive`, a number given in full international form (+ and its country
    code) fills in a DNIS and a country code left blank."""
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}

    raw_number = str(number or "").strip()
    parsed = None
    if not raw_number:
        errors["number"] = ["Phone Number is required."]
    else:
        parsed = parse_number(raw_number, region)
        if parsed is None:
            hint = (
                ""
                if raw_number.startswith("+")
                else (
                    " Numbers outside your country start with + and the country code."
                )
            )
            errors["number"] = [
                f"{raw_number[:40]!r} is not a valid phone number, "
                f"e.g. 800-555-1234 or +1 800 555 1234.{hint}"
            ]
        else:
            cleaned["number"] = e164(parsed)

    international = parsed is not None and raw_number.startswith("+")
    raw_dnis = str(dnis or "").strip()
    raw_country = str(country_code or "").strip().lstrip("+")
    if derive and international:
        raw_dnis = raw_dnis or derived_dnis(parsed, region)
        raw_country = raw_country or str(parsed.country_code)
    if not raw_dnis:
        errors["dnis"] = ["DNIS is required: the digits the carrier delivers."]
        if derive:
            errors["dnis"][0] += " Or give the number with + and its country code."
    elif not raw_dnis.isascii() or not raw_dnis.isdigit():
        errors["dnis"] = ["DNIS must contain digits only, e.g. 8005551234."]
    elif len(raw_dnis) > DNIS_MAX_LENGTH:
        errors["dnis"] = [f"DNIS must be at most {DNIS_MAX_LENGTH} digits."]
    elif parsed is not None and not dnis_matches(raw_dnis, parsed):
        expected = phonenumbers.national_significant_number(parsed)
        errors["dnis"] = [
            f"DNIS {raw_dnis} does not match the number {cleaned['number']}: "
            f"it should be the number's digits, e.g. {expected}."
        ]
    else:
        cleaned["dnis"] = raw_dnis

    raw_type = str(number_type or "").strip().lower()
    if raw_type not in _TYPES:
        errors["number_type"] = [
            "Type must be one of: " + ", ".join(NumberType.values) + "."
        ]
    else:
        cleaned["number_type"] = raw_type

    if not raw_country:
        errors["country_code"] = ["Country code is required, e.g. 1 or 44."]
    elif not raw_country.isascii() or not raw_country.isdigit() or len(raw_country) > 3:
        errors["country_code"] = [
            "Country code must be the 1 to 3 digits of the calling code, e.g. 1 or 44."
        ]
    elif parsed is not None and raw_country != str(parsed.country_code):
        errors["country_code"] = [
            f"Country code {raw_country} does not match the number "
            f"{cleaned['number']} (country code {parsed.country_code})."
        ]
    else:
        cleaned["country_code"] = raw_country

    raw_area = str(area_code or "").strip()
    national = phonenumbers.national_significant_number(parsed) if parsed else ""
    if raw_area and (not raw_area.isascii() or not raw_area.isdigit()):
        errors["area_code"] = ["Area code must contain digits only, e.g. 800."]
    elif raw_area and len(raw_area) > 8:
        errors["area_code"] = ["Area code must be at most 8 digits."]
    elif raw_area and parsed is not None and not national.startswith(raw_area):
        errors["area_code"] = [
            f"Area code {raw_area} does not match the number {cleaned['number']}."
        ]
    elif raw_area:
        cleaned["area_code"] = raw_area
    elif parsed is not None:
        # Left empty: the number's own area (national destination) code.
        cleaned["area_code"] = national[
            : phonenumbers.length_of_national_destination_code(parsed)
        ]

    if errors:
        raise ValidationFailed(errors)
    return cleaned
