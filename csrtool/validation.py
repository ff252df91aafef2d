"""Checks shared by every door for the domain's free-form inputs.

Each function returns the cleaned value or raises DomainError naming the field, with
a message a CSR can act on.
"""

import contextlib
import functools
import re
import unicodedata
from urllib.parse import urlsplit

import phonenumbers
from babel import Locale
from confusable_homoglyphs import categories, confusables
from django.utils.translation import gettext
from email_validator import EmailNotValidError, validate_email
from phonenumbers import PhoneMetadata

from csrtool import timezones
from csrtool.errors import DomainError

EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = 100
BILLING_ID_MAX_LENGTH = 100


# Characters that reorder the text around them: a name could show "moc.evil" as
# "live.com" (Trojan Source, CVE-2021-42574).
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Invisible, yet needed inside words of Persian, Indic scripts, emoji sequences.
JOINERS = frozenset("\u200c\u200d")
# Letters and symbols that draw nothing (Hangul fillers, braille blank, Khmer
# inherent vowels): Unicode's Default_Ignorable_Code_Point beyond format characters.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5")


# Control characters a person may type: tab, line feed, carriage return.
ALLOWED_CONTROLS = frozenset("\t\n\r")


def refused_character(value: str) -> str | None:
    """Why `value` cannot be taken, or None: a control character or a lone
    surrogate."""
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cs":
            return "contains a lone surrogate, which is not a character"
        if category == "Cc" and ch not in ALLOWED_CONTROLS:
            return f"contains the control character U+{ord(ch):04X}"
    return None


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value)


def _visible(ch: str) -> bool:
    category = unicodedata.category(ch)
    return not (category[0] in "CZ" or category in ("Mn", "Me") or ch in BLANK_LETTERS)


def _invisible(ch: str) -> bool:
    return (unicodedata.category(ch) == "Cf" and ch not in JOINERS) or (
        ch in BLANK_LETTERS
    )


def clean_text(
    value, *, field: str, label: str, max_length: int, compatibility: bool = False
) -> str:
    """Free text, NFC-normalised (NFKC with `compatibility`, for names and IDs:
    full-width and other compatibility forms become the plain letters and digits).

    A value that shows nothing (only spaces, zero-width or blank characters) is
    missing; direction overrides and invisible characters are refused.
    """
    form = "NFKC" if compatibility else "NFC"
    value = unicodedata.normalize(form, str(value or "")).strip()
    if value.isascii() and value.isprintable():
        # Nothing below can refuse printable ASCII but its length (a bulk
        # import asks this of every name of thousands of rows).
        return _within(value, field=field, label=label, max_length=max_length)
    if not any(_visible(ch) for ch in value):
        raise DomainError(f"{label} is required.", field=field, code="required")
    _within(value, field=field, label=label, max_length=max_length)
    if _has_control_characters(value):
        raise DomainError(f"{label} cannot contain control characters.", field=field)
    if any(ch in BIDI_CONTROLS for ch in value):
        raise DomainError(
            f"{label} cannot contain right-to-left or left-to-right marks or "
            "overrides: they change how the text around them reads.",
            field=field,
            code="bidi_control",
        )
    if any(_invisible(ch) for ch in value):
        raise DomainError(
            f"{label} cannot contain invisible characters (such as zero-width spaces).",
            field=field,
            code="invisible_character",
        )
    return value


def _within(value: str, *, field: str, label: str, max_length: int) -> str:
    if not value:
        raise DomainError(f"{label} is required.", field=field, code="required")
    if len(value) > max_length:
        raise DomainError(
            f"{label} must be at most {max_length} characters (it has {len(value)}).",
            field=field,
            code="too_long",
        )
    return value


def canonical_email(value: str) -> str:
    """The form used to compare logins: NFKC, IDNA-normalised domain, case-folded.

    NFKC makes a full-width ｓａｍ＠… the same login as sam@…."""
    value = unicodedata.normalize("NFKC", str(value or "")).strip()
    with contextlib.suppress(EmailNotValidError):
        value = validate_email(value, check_deliverability=False).normalized
    return value.casefold()


def clean_email(value, *, field: str = "email", label: str = "Email Address"):
    """Return (address to store and send to, canonical form for uniqueness).

    Compatibility forms are folded (NFKC: full-width letters become plain ones),
    and a part mixing scripts that look alike (a Cyrillic "а" among Latin
    letters) is refused: UTS #39 mixed-script detection, with the Unicode data of
    confusable_homoglyphs.
    """
    value = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not value:
        raise DomainError(
            gettext("%(label)s is required.") % {"label": label},
            field=field,
            code="required",
        )
    if len(value) > EMAIL_MAX_LENGTH:
        raise DomainError(
            gettext("%(label)s must be at most %(most)d characters.")
            % {"label": label, "most": EMAIL_MAX_LENGTH},
            field=field,
            code="too_long",
        )
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as e:
        raise DomainError(
            gettext("Enter a valid email address (%(reason)s).") % {"reason": e},
            field=field,
            code="invalid_email",
        ) from None
    if len(result.local_part) > 64:
        raise DomainError(
            gettext("The part before the @ can be at most 64 characters."),
            field=field,
            code="invalid_email",
        )
    for part in [result.local_part, *result.domain.split(".")]:
        # ASCII has one script besides the common one (Latin): never mixed.
        if not part.isascii() and confusables.is_mixed_script(part):
            scripts = sorted(
                {
                    categories.alias(ch).title()
                    for ch in part
                    if categories.alias(ch) not in ("COMMON", "INHERITED")
                }
            )
            raise DomainError(
                gettext(
                    "%(part)r mixes letters of different scripts (%(scripts)s), "
                    "which can look alike: type the address in one script."
                )
                % {"part": part, "scripts": " and ".join(scripts)},
                field=field,
                code="mixed_script_email",
            )
    return result.normalized, result.normalized.casefold()


def email_look_alikes(canonical: str) -> set[str]:
    """Latin addresses `canonical` can pass for: each part written in another
    script has its letters replaced by the Latin letters they look like
    (Cyrillic "асе" → "ace"). Empty when the address is Latin already."""
    local, _, domain = canonical.rpartition("@")
    parts = [local, *domain.split(".")]
    latin = [_as_latin(part) for part in parts]
    if latin == parts:
        return set()
    return {f"{latin[0]}@{'.'.join(latin[1:])}".casefold()}


def _as_latin(part: str) -> str:
    if part.isascii():
        # Character by character, as below, from a table (a bulk import asks this
        # of thousands of addresses).
        return part.translate(_ascii_as_latin())
    return _look_up_as_latin(part)


@functools.cache
def _ascii_as_latin() -> dict[int, str]:
    table = {chr(code): _look_up_as_latin(chr(code)) for code in range(128)}
    return str.maketrans({ch: latin for ch, latin in table.items() if latin != ch})


def _look_up_as_latin(part: str) -> str:
    found = confusables.is_confusable(part, greedy=True, preferred_aliases=["latin"])
    replacements = {}
    for item in found or []:
        for homoglyph in item["homoglyphs"]:
            if homoglyph["n"].startswith("LATIN") and homoglyph["c"].isascii():
                replacements[item["character"]] = homoglyph["c"]
                break
    return "".join(replacements.get(ch, ch) for ch in part)


def clean_time_zone(value, *, field: str = "time_zone") -> str:
    value = str(value or "").strip()
    if not value:
        raise DomainError(
            gettext("Time Zone is required."), field=field, code="required"
        )
    if not timezones.is_valid_zone(value):
        raise DomainError(
            gettext(
                "%(value)r is not a time zone. Pick one from the list, "
                "e.g. %(example)s."
            )
            % {"value": value[:64], "example": "America/New_York"},
            field=field,
            code="unknown_time_zone",
        )
    return value


def clean_language(value, *, field: str = "language") -> str:
    """One of the languages subscribers' pages and emails come in (a code of
    settings.LANGUAGES; a regional tag such as es-MX counts as its language)."""
    from django.conf import settings

    offered = dict(settings.LANGUAGES)
    code = str(value or "").strip().lower().replace("_", "-")
    if not code:
        raise DomainError(
            gettext("Language is required."), field=field, code="required"
        )
    code = code if code in offered else code.split("-")[0]
    if code not in offered:
        raise DomainError(
            gettext("%(value)r is not a language we speak; pick one of %(offered)s.")
            % {
                "value": str(value)[:20],
                "offered": ", ".join(f"{c} ({n})" for c, n in offered.items()),
            },
            field=field,
            code="unknown_language",
        )
    return code


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


def calling_code(value) -> str | None:
    """A country code as a CSR or a client gives it, as its digits: `44`,
    `+44`, or a country's two letters (`GB`, `gb`); "" when none is given,
    None when it is none of these."""
    text = str(value or "").strip().lstrip("+")
    if not text.isascii():
        return None
    if not text or text.isdigit():
        return text
    if len(text) == 2 and text.isalpha():
        code = phonenumbers.country_code_for_region(text.upper())
        return str(code) if code else None
    return None


def clean_codes(country, area, *, fields=("country_code", "area_code")) -> None:
    """Refuse a country code (see `calling_code`) or an area code that no
    number can have, naming its field."""
    if calling_code(country) is None:
        raise DomainError(
            "A country code is digits, such as 44, or a country's two letters, "
            "such as GB.",
            field=fields[0],
            code="invalid",
        )
    area = str(area or "").strip()
    if area and not (area.isascii() and area.isdigit()):
        raise DomainError(
            "An area code is digits, such as 212.", field=fields[1], code="invalid"
        )


_E164_FORM = re.compile(r"^\+[1-9]\d{2,16}$")


@functools.cache
def _national_prefix(country_code: int) -> re.Pattern | None | bool:
    """The pattern phonenumbers strips from a national number of this country
    code (None if none); False when the country code has no metadata."""
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None:
        return False
    prefix = metadata.national_prefix_for_parsing
    return re.compile(prefix) if prefix else None


def parse_e164(raw: str) -> phonenumbers.PhoneNumber | None:
    """A number already written as + and digits, as phonenumbers.parse reads it,
    without its general-purpose normalisation (most of a bulk import's time, and
    of showing a page of numbers).

    None whenever parse might read it differently (anything but + and digits,
    a national prefix or a leading zero to handle): the caller then asks parse
    itself.
    """
    if not _E164_FORM.match(raw):
        return None
    digits = raw[1:]
    for length in (1, 2, 3):
        country_code = int(digits[:length])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = digits[length:]
    if len(national) < 2 or national[0] == "0":
        return None
    prefix = _national_prefix(country_code)
    if prefix is False or (prefix is not None and prefix.match(national)):
        return None
    return phonenumbers.PhoneNumber(
        country_code=country_code, national_number=int(national)
    )


def format_phone(e164: str) -> str:
    """E.164 shown the way people read it: +1 212-555-0100."""
    if not e164:
        return ""
    number = parse_e164(e164)
    if number is None:
        try:
            number = phonenumbers.parse(e164, None)
        except phonenumbers.NumberParseException:
            return e164
    return phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


# WCAG 2.2 AA: normal text needs a contrast ratio of at least 4.5:1.
TEXT_CONTRAST = 4.5
_HEX_COLOUR = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def relative_luminance(colour: str) -> float:
    """WCAG's relative luminance of a #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted(
        (relative_luminance(first), relative_luminance(second)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


def clean_brand_colour(value, *, field: str, label: str) -> str:
    """A brand colour as #rrggbb, or "" for the product's own. White text sits on
    it (buttons, the top bar) and it colours links on white, so it must contrast
    with white as WCAG 2.2 AA asks of text."""
    text = str(value or "").strip()
    if not text:
        return ""
    match = _HEX_COLOUR.match(text)
    if not match:
        raise DomainError(
            f"{label}: enter a colour as #RRGGBB, e.g. #0B5394.", field=field
        )
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    colour = f"#{digits}"
    ratio = contrast_ratio(colour, "#ffffff")
    if ratio < TEXT_CONTRAST:
        raise DomainError(
            f"{label}: white text on {colour.upper()} has a contrast ratio of "
            f"{ratio:.2f}:1; WCAG 2.2 AA needs at least {TEXT_CONTRAST}:1. "
            "Choose a darker colour.",
            field=field,
        )
    return colour


_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def clean_host_name(value, *, field: str = "portal_host") -> str:
    """A DNS host name such as account.example.com, lowercased, internationalised
    names in their ASCII form; empty for none. An IP address, a single label,
    a port or a path is refused."""
    value = str(value or "").strip().lower().rstrip(".")
    if not value:
        return ""
    message = (
        "Enter a host name such as account.example.com: letters, digits and "
        "hyphens, in two parts or more, without a scheme, port or path."
    )
    try:
        ascii_name = value.encode("idna").decode("ascii")
    except UnicodeError:
        raise DomainError(message, field=field, code="invalid_host") from None
    labels = ascii_name.split(".")
    if (
        len(ascii_name) > 253
        or len(labels) < 2
        or not all(_HOST_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise DomainError(message, field=field, code="invalid_host")
    return ascii_name


def clean_web_address(value, *, field: str, label: str) -> str:
    """An https:// (or http://) address of a public page, as a customer may be
    sent to it; empty for none. Any other scheme (javascript:, data:), a user
    name or password in it, or a host that is not a DNS name is refused."""
    value = str(value or "").strip()
    if not value:
        return ""
    message = f"{label}: enter a web address starting with https://."
    if (
        len(value) > 500
        or refused_character(value)
        or any(ch.isspace() for ch in value)
    ):
        raise DomainError(message, field=field, code="invalid_url")
    parts = urlsplit(value)
    if (
        parts.scheme.lower() not in ("https", "http")
        or parts.username
        or parts.password
    ):
        raise DomainError(message, field=field, code="invalid_url")
    try:
        clean_host_name(parts.hostname, field=field)
        parts.port  # noqa: B018 (raises ValueError for a port that is not one)
    except (DomainError, ValueError):
        raise DomainError(message, field=field, code="invalid_url") from None
    if not parts.hostname:
        raise DomainError(message, field=field, code="invalid_url")
    return value
