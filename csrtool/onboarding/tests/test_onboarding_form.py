"""The onboarding form: password, PIN and security question in one step."""

import re

import pytest
from django.test import Client

from csrtool.audit.models import AuditEvent
from csrtool.errors import ValidationFailed
from csrtool.onboarding import hashing, services
from csrtool.onboarding.models import SubscriberCredentials
from csrtool.onboarding.tests.conftest import GOOD
from csrtool.subscribers.models import Status


def complete(token, **overrides):
    return services.complete_onboarding(token=token, **{**GOOD, **overrides})


def errors_of(token, **overrides):
    with pytest.raises(ValidationFailed) as caught:
        complete(token, **overrides)
    return caught.value.errors


@pytest.mark.parametrize(
    "password, accepted",
    [
        ("paper lantern over the quiet harbour", True),
        ("twelve chars", True),
        ("eleven char", False),
        ("x" * 64 + "y" * 64, True),
        ("x" * 129, False),
        ("password1234", False),
        ("q1w2e3r4t5y6", False),
        ("dragon!!!!!!", False),
        ("2024sunshine2024", False),
        ("Sam Sample 1!", False),
        ("samsample@customer", False),
        ("sam@customer.example", False),
        ("ÜnïcødéPässwörd 😀", True),
        ("correct horse battery staple", True),
    ],
)
def test_password_policy(cast, sam_token, password, accepted):
    overrides = {"password": password, "password_confirm": password}
    if accepted:
        complete(sam_token, **overrides)
        credentials = SubscriberCredentials.objects.get(subscriber=cast.sam)
        assert hashing.check_password(credentials.password_hash, password)
    else:
        assert "password" in errors_of(sam_token, **overrides)


@pytest.mark.parametrize(
    "pin, accepted",
    [
        ("480613", True),
        ("4806135", True),
        ("48061357", True),
        ("48061", False),
        ("480613579", False),
        ("111111", False),
        ("00000000", False),
        ("123456", False),
        ("987654", False),
        ("12345678", False),
        ("890123", False),
        ("210987", False),
        ("123457", True),
        ("４８０６１３", False),
        ("٤٨٠٦١٣", False),
        ("48 0613", False),
        ("48061a", False),
        ("", False),
    ],
)
def test_pin_policy(cast, sam_token, pin, accepted):
    overrides = {"pin": pin, "pin_confirm": pin}
    if accepted:
        complete(sam_token, **overrides)
        credentials = SubscriberCredentials.objects.get(subscriber=cast.sam)
        assert hashing.check_pin(credentials.pin_hash, pin)
    else:
        assert "pin" in errors_of(sam_token, **overrides)


def test_confirmations_must_match(sam_token):
    errors = errors_of(
        sam_token, password_confirm="something else entirely", pin_confirm="480614"
    )
    assert errors == {
        "password_confirm": ["The two passwords do not match."],
        "pin_confirm": ["The two PINs do not match."],
    }


def test_every_problem_is_reported_at_once(sam_token):
    errors = errors_of(sam_token, password="short", pin="1111", question="", answer="")
    assert set(errors) == {"password", "pin", "question", "answer"}


def test_the_list_offers_at_least_eight_questions():
    from csrtool.onboarding.policy import SECURITY_QUESTIONS

    assert len(SECURITY_QUESTIONS) >= 8


def test_a_subscriber_can_write_their_own_question(cast, sam_token):
    complete(
        sam_token,
        question="own",
        own_question="  Which   harbour did we sail from? ",
        answer="Kiel",
    )
    credentials = SubscriberCredentials.objects.get(subscriber=cast.sam)
    assert credentials.security_question == "Which harbour did we sail from?"


def test_an_own_question_must_be_written(sam_token):
    assert errors_of(sam_token, question="own", own_question="Why?") == {
        "own_question": ["Write a question of at least 10 characters."]
    }


@pytest.mark.parametrize(
    "given",
    ["Biscuit", "biscuit", "  BISCUIT  ", "Ｂｉｓｃｕｉｔ", "bis cuit"[:0] + "BiScUiT"],
)
def test_the_answer_is_normalised_before_hashing(cast, sam_token, given):
    complete(sam_token, answer="  Biscuit ")
    credentials = SubscriberCredentials.objects.get(subscriber=cast.sam)
    assert hashing.check_answer(credentials.security_answer_hash, given)
    assert not hashing.check_answer(credentials.security_answer_hash, "Biscuits")


def test_spacing_inside_the_answer_is_collapsed(cast, sam_token):
    complete(sam_token, answer="Mrs  Ida\tFox")
    credentials = SubscriberCredentials.objects.get(subscriber=cast.sam)
    assert hashing.check_answer(credentials.security_answer_hash, "mrs ida fox")


def test_secrets_are_stored_only_as_argon2_hashes(cast, sam_token):
    complete(sam_token)
    credentials = SubscriberCredentials.objects.get(subscriber=cast.sam)
    stored = " ".join(
        str(v) for v in SubscriberCredentials.objects.values().get().values()
    )
    for secret in (GOOD["password"], GOOD["pin"], "biscuit", "Biscuit"):
        assert secret not in stored
    for value in (
        credentials.password_hash,
        credentials.pin_hash,
        credentials.security_answer_hash,
    ):
        assert value.startswith("$argon2id$")
    event = AuditEvent.objects.get(action="subscriber.activated")
    logged = str(event.before) + str(event.after)
    for secret in (GOOD["password"], GOOD["pin"], "Biscuit"):
        assert secret not in logged
    assert event.after["status"] == "active"
    assert event.actor_kind == "subscriber"


def test_submitting_the_page_activates_signs_in_and_shows_the_account(cast, sam_token):
    client = Client()
    response = client.post(f"/welcome/{sam_token}/", GOOD)
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    cast.sam.refresh_from_db()
    assert cast.sam.status == Status.ACTIVE
    assert cast.sam.activated_at is not None
    home = client.get("/portal/")
    assert home.status_code == 200
    assert "Sam" in home.content.decode()


def test_the_page_shows_each_problem_next_to_its_field(cast, sam_token):
    response = Client().post(
        f"/welcome/{sam_token}/", {**GOOD, "pin": "123456", "pin_confirm": "123456"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_pin_error"' in html
    assert "straight run" in html
    assert 'aria-describedby="id_pin_helptext id_pin_error"' in html
    cast.sam.refresh_from_db()
    assert cast.sam.status == Status.PENDING_ACTIVATION


def test_the_first_submit_reports_every_problem_of_the_page(cast, sam_token):
    response = Client().post(
        f"/welcome/{sam_token}/",
        {
            "password": "too short",
            "password_confirm": "too short",
            "pin": "111111",
            "pin_confirm": "111111",
            "question": "first-pet",
            "answer": "",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the 3 fields below." in html
    assert "This password is too short." in html
    assert "A PIN cannot be one digit repeated, like 111111." in html
    assert "The answer needs at least 3 characters." in html
    assert "This field is required." not in html
    cast.sam.refresh_from_db()
    assert cast.sam.status == Status.PENDING_ACTIVATION


def test_an_empty_submit_says_what_each_field_needs(sam_token):
    html = Client().post(f"/welcome/{sam_token}/", {}).content.decode()
    assert "Please correct the 4 fields below." in html
    assert "This password is too short." in html
    assert "A PIN is 6 to 8 digits (0–9), nothing else." in html
    assert "Choose a security question." in html
    assert "The answer needs at least 3 characters." in html


def test_each_part_of_the_page_is_named_once(sam_token):
    html = Client().get(f"/welcome/{sam_token}/").content.decode()
    legends = re.findall(r"<legend>([^<]*)</legend>", html)
    labels = re.findall(r'<label for="[^"]+">([^<]*)</label>', html)
    assert legends == [
        "Your password, to sign in to your account",
        "Your PIN, for calls to the phone system",
        "A question only you can answer, for calls to support",
    ]
    assert not set(legends) & set(labels)
