"""Numbers written as + and digits take a shortcut past phonenumbers.parse; it
must read every number exactly as parse does, to check it and to show it."""

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from csrtool.numberpool.lines import parse_number
from csrtool.validation import format_phone


def read_by_phonenumbers(raw):
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def example_numbers():
    """Every region's example numbers of every type, as E.164, plus variants
    one digit longer or shorter and with a national prefix or zero put back."""
    values = set()
    regions = phonenumbers.SUPPORTED_REGIONS | {
        phonenumbers.region_code_for_country_code(code)
        for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS
    }
    for region in regions:
        for kind in vars(PhoneNumberType).values():
            if not isinstance(kind, int):
                continue
            if region == "001":
                continue
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            text = phonenumbers.format_number(number, PhoneNumberFormat.E164)
            code = str(number.country_code)
            national = text[1 + len(code) :]
            values |= {
                text,
                text + "5",
                text[:-1],
                f"+{code}0{national}",
                f"+{code}1{national}",
                f"+{code}8{national}",
            }
    for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            values.add(phonenumbers.format_number(number, PhoneNumberFormat.E164))
    return sorted(values)


def test_every_example_number_reads_as_phonenumbers_reads_it():
    values = example_numbers()
    assert len(values) > 3000

    differ = [v for v in values if parse_number(v, None) != read_by_phonenumbers(v)]

    assert differ == []


def shown_by_phonenumbers(raw):
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return raw
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def test_every_example_number_is_shown_as_phonenumbers_shows_it():
    values = example_numbers() + ["+1", "+12", "+123", "+9991234567", "+1 212"]

    differ = [v for v in values if format_phone(v) != shown_by_phonenumbers(v)]

    assert differ == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+18005551234", "+18005551234"),
        ("+18001234567", None),  # no NANP exchange starts with 1
        ("+442079460000", "+442079460000"),
        ("+4402079460000", "+442079460000"),  # the UK trunk 0 is dropped
        ("+390612345678", "+390612345678"),  # Italy keeps its leading zero
        ("+80012345678", "+80012345678"),  # international freephone
        ("+9991234567", None),  # no such country code
    ],
)
def test_numbers_in_e164_form_are_read_like_any_other(raw, expected):
    number = parse_number(raw, "US")
    assert (
        phonenumbers.format_number(number, PhoneNumberFormat.E164) if number else None
    ) == expected
