"""Properties of the normalisers every door relies on, checked on generated input.

Whatever a CSR pastes, a script sends or a hostile client tries, the normalisers
either return a clean value or raise DomainError with a message; they never crash
with anything else, and their answers are stable.
"""

import re
import unicodedata
from datetime import date

import phonenumbers
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from csrtool import timezones, validation
from csrtool.errors import DomainError
from csrtool.subscribers.models import Subscriber
from csrtool.subscribers.search import search_filter

BOUNDED = settings(max_examples=150, deadline=None, derandomize=True, database=None)
E164 = re.compile(r"^\+[1-9]\d{1,14}$")

# Any code point, surrogates and control characters included.
any_text = st.text(st.characters(codec=None, categories=None), max_size=300)
# Text built from what people actually type into these boxes, nasty parts included.
typed_text = st.text(
    st.one_of(
        st.sampled_from("aZ09 .@+-_()'\"\t\n\r\x00\u200b\u202e\ufeffßİıǅ€日本"),
        st.characters(codec="utf-8"),
    ),
    max_size=80,
)
address_like = st.one_of(
    st.emails(),
    st.builds(
        lambda local, domain: f"{local}@{domain}",
        st.text(st.characters(codec="utf-8", exclude_characters="@"), max_size=70),
        st.sampled_from(
            ["example.com", "EXAMPLE.COM", "bücher.example", "xn--bcher-kva.example"]
        ),
    ),
    typed_text,
)
phone_like = st.one_of(
    st.from_regex(r"\A\+?[0-9 ().\-]{0,25}\Z"),
    st.builds(lambda digits: f"+1{digits}", st.from_regex(r"\A[0-9]{10}\Z")),
    typed_text,
)
regions = st.one_of(st.none(), st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)))


def swap_ascii_case(value: str) -> str:
    return "".join(
        ch.swapcase() if ch.isascii() and ch.isalpha() else ch for ch in value
    )


@BOUNDED
@given(address_like)
@example("Ada@Analytical.EXAMPLE")
@example(" bücher@BÜCHER.example ")
def test_canonical_email_is_idempotent(value):
    canonical = validation.canonical_email(value)
    assert validation.canonical_email(canonical) == canonical


@BOUNDED
@given(address_like)
@example("Sam@Customer.Example")
def test_canonical_email_ignores_letter_case(value):
    assert validation.canonical_email(
        swap_ascii_case(value)
    ) == validation.canonical_email(value)
    assert validation.canonical_email(value.upper()) == validation.canonical_email(
        value.upper().lower()
    )


@BOUNDED
@given(st.one_of(address_like, any_text))
@example("a" * 65 + "@example.com")
@example("x@" + "a" * 300 + ".com")
@example("\x00@example.com")
@example("sam@[127.0.0.1]")
def test_clean_email_refuses_with_a_domain_error_or_gives_a_matching_login(value):
    try:
        stored, canonical = validation.clean_email(value)
    except DomainError as e:
        assert e.message
        assert e.field == "email"
        return
    assert len(stored) <= validation.EMAIL_MAX_LENGTH
    assert stored == stored.strip()
    assert "@" in stored
    # The lookup of a login goes through canonical_email: both must agree.
    assert validation.canonical_email(value) == canonical
    assert validation.canonical_email(stored) == canonical


@BOUNDED
@given(phone_like, regions)
@example("+1 212-555-0100", None)
@example("(212) 555-0100", "US")
@example("020 7946 0000", "GB")
@example("+" + "9" * 39, None)
@example(
    "\uff0b\uff11\uff12\uff11\uff12\uff15\uff15\uff15\uff10\uff11\uff10\uff10", None
)
def test_clean_phone_gives_e164_or_a_domain_error(value, region):
    try:
        result = validation.clean_phone(value, region=region)
    except DomainError as e:
        assert e.message
        assert e.field == "phone"
        return
    assert E164.match(result), result
    # Cleaning the stored form again changes nothing.
    assert validation.clean_phone(result, region=None) == result


@BOUNDED
@given(st.one_of(any_text, typed_text), st.integers(min_value=1, max_value=120))
@example("  Ada  ", 3)
@example("A\u0301" * 3, 3)
@example("\x00", 10)
@example("\u2028line", 10)
def test_clean_text_never_returns_control_characters_or_too_much(value, max_length):
    try:
        result = validation.clean_text(
            value, field="first_name", label="First Name", max_length=max_length
        )
    except DomainError as e:
        assert e.message
        assert e.field == "first_name"
        return
    assert result
    assert result == result.strip()
    assert len(result) <= max_length
    assert not [ch for ch in result if unicodedata.category(ch) in ("Cc", "Cs")], repr(
        result
    )
    assert unicodedata.is_normalized("NFC", result)


def test_every_available_zone_has_a_date_pattern_that_formats_a_date():
    zones = timezones.available_zones()
    assert "America/New_York" in zones
    for zone in sorted(zones):
        pattern = timezones.date_pattern(zone)
        assert "d" in pattern and "M" in pattern and "y" in pattern, zone
        assert "31" in timezones.format_local_date(date(2024, 12, 31), zone), zone


@BOUNDED
@given(st.one_of(any_text, typed_text, phone_like), regions)
@example("\x00", None)
@example("sam\x00", "US")
@example("%_\\", None)
@example("+1 (212) 555-01", "US")
def test_search_filter_never_raises(value, region):
    search_filter(value, region)


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(value=st.one_of(any_text, typed_text, phone_like), region=regions)
@example(value="\x00", region=None)
@example(value="Sam\x00Sample", region="US")
@example(value="%_\\'", region=None)
def test_a_lookup_for_any_text_runs_on_the_database(cast, value, region):
    found = list(
        Subscriber.objects.for_partner(cast.acme)
        .search(value, region=region)
        .values_list("public_id", flat=True)
    )
    assert cast.gus.public_id not in found
