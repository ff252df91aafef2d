import threading

import pytest
from django.core.management import call_command
from django.db import connection

from csrtool.audit.models import AuditEvent
from csrtool.errors import PermissionDenied, ValidationFailed
from csrtool.subscribers.models import Status, Subscriber
from csrtool.subscribers.services import create_subscriber

GOOD = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@analytical.example",
    "phone": "(212) 555-0123",
    "billing_id": "not_used",
}


def create(actor, **overrides):
    return create_subscriber(actor=actor, **{**GOOD, **overrides})


def errors_of(actor, **overrides):
    with pytest.raises(ValidationFailed) as caught:
        create(actor, **overrides)
    return caught.value.errors


def test_it_creates_a_pending_subscriber_with_an_opaque_id(cast, actor_of):
    subscriber = create(actor_of(cast.bob))

    assert subscriber.partner == cast.acme
    assert subscriber.status == Status.PENDING_ACTIVATION
    assert subscriber.time_zone == "America/New_York"  # the partner's default
    assert subscriber.phone == "+12125550123"
    assert subscriber.created_by == cast.bob
    parts = subscriber.public_id.split("-")
    assert [len(p) for p in parts] == [8, 2, 11, 8, 3]


def test_subscriber_ids_are_random(cast, actor_of):
    actor = actor_of(cast.bob)
    ids = {create(actor, email=f"u{i}@x.example").public_id for i in range(20)}
    assert len(ids) == 20
    assert len({i[:8] for i in ids}) == 20  # no shared, sequential prefix


def test_it_writes_an_audit_event_with_the_new_values(cast, actor_of):
    subscriber = create(
        actor_of(cast.bob, source_ip="10.1.2.3", request_id="req-12345")
    )

    event = AuditEvent.objects.get(action="subscriber.created")
    assert event.partner == cast.acme
    assert event.actor_user == cast.bob
    assert event.target_id == subscriber.public_id
    assert event.after["email"] == "ada@analytical.example"
    assert event.after["billing_id"] == "not_used"
    assert event.source_ip == "10.1.2.3"
    assert event.request_id == "req-12345"
    assert event.before is None


@pytest.mark.parametrize(
    ("email", "stored"),
    [
        ("Ada@Analytical.Example", "Ada@analytical.example"),
        ("  ada@analytical.example  ", "ada@analytical.example"),
        ("josé@exämple.example", "josé@exämple.example"),
        ("用户@例子.example", "用户@例子.example"),
        ("o'brien+tag@sub.domain.example", "o'brien+tag@sub.domain.example"),
    ],
)
def test_it_accepts_and_normalises_valid_addresses(cast, actor_of, email, stored):
    subscriber = create(actor_of(cast.bob), email=email)
    assert subscriber.email == stored
    assert subscriber.email_canonical == stored.casefold()


@pytest.mark.parametrize(
    "email",
    [
        "",
        "   ",
        "no-at-sign",
        "two@@at.example",
        "trailing-dot@example.",
        "spaces in@example.com",
        "a" * 65 + "@example.com",
        "x@" + "d" * 250 + ".com",
        "nul\x00byte@example.com",
    ],
)
def test_it_rejects_invalid_addresses(cast, actor_of, email):
    errors = errors_of(actor_of(cast.bob), email=email)
    assert list(errors) == ["email"]


def test_an_address_in_use_is_refused_whatever_its_case(cast, actor_of):
    create(actor_of(cast.bob))
    errors = errors_of(actor_of(cast.bob), email="ADA@analytical.EXAMPLE")
    assert errors == {"email": ["This email address is already in use."]}
    assert (
        Subscriber.objects.filter(email_canonical="ada@analytical.example").count() == 1
    )


def test_the_duplicate_message_does_not_say_which_partner_holds_it(cast, actor_of):
    # gus belongs to Globex; Bob of Acme learns only that the address is taken.
    errors = errors_of(actor_of(cast.bob), email="gus@other.example")
    message = errors["email"][0]
    assert "Globex" not in message and "globex" not in message
    assert message == "This email address is already in use."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "", "First Name is required."),
        ("first_name", "   ", "First Name is required."),
        ("last_name", "", "Last Name is required."),
        (
            "first_name",
            "x" * 101,
            "First Name must be at most 100 characters (it has 101).",
        ),
        ("last_name", "Bad\x07Bell", "Last Name cannot contain control characters."),
        ("billing_id", "", "Billing ID is required."),
        ("billing_id", " \t ", "Billing ID is required."),
        (
            "billing_id",
            "b" * 101,
            "Billing ID must be at most 100 characters (it has 101).",
        ),
        ("phone", "", "Phone Number is required."),
        ("phone", "hello", "Phone Number is not a phone number."),
        ("phone", "555", "Phone Number is not a valid number for US."),
        ("phone", "+44 20 7946 000", "Phone Number is not a valid number for GB."),
        ("time_zone", "Mars/Olympus_Mons", None),
        ("time_zone", "localtime", None),
    ],
)
def test_each_field_has_a_clear_message(cast, actor_of, field, value, message):
    errors = errors_of(actor_of(cast.bob), **{field: value})
    assert field in errors
    if message:
        assert errors[field] == [message]
    else:
        assert "is not a time zone" in errors[field][0]


def test_all_bad_fields_are_reported_at_once_and_nothing_is_saved(cast, actor_of):
    before = Subscriber.objects.count()
    errors = errors_of(
        actor_of(cast.bob), first_name="", email="nope", phone="x", billing_id=""
    )
    assert set(errors) == {"first_name", "email", "phone", "billing_id"}
    assert Subscriber.objects.count() == before
    assert not AuditEvent.objects.filter(action="subscriber.created").exists()


@pytest.mark.parametrize(
    ("time_zone", "phone", "e164"),
    [
        ("Europe/London", "020 7946 0018", "+442079460018"),
        ("America/Montreal", "514 555 0142", "+15145550142"),
        ("Asia/Calcutta", "098765 43210", "+919876543210"),
        ("Australia/Sydney", "(02) 9876 5432", "+61298765432"),
        ("America/New_York", "+49 30 901820", "+4930901820"),
        ("UTC", "+81 3-1234-5678", "+81312345678"),
    ],
)
def test_the_phone_number_defaults_to_the_time_zones_country(
    cast, actor_of, time_zone, phone, e164
):
    subscriber = create(actor_of(cast.bob), time_zone=time_zone, phone=phone)
    assert subscriber.phone == e164
    assert subscriber.time_zone == time_zone


def test_an_auditor_cannot_create(cast, actor_of):
    with pytest.raises(PermissionDenied):
        create(actor_of(cast.avery))


def test_the_operator_must_say_for_which_partner(cast, actor_of):
    subscriber = create(
        actor_of(cast.olivia), partner=cast.globex, phone="+12125550123"
    )
    assert subscriber.partner == cast.globex
    assert subscriber.time_zone == "Europe/London"


def test_a_csr_cannot_create_for_another_partner(cast, actor_of):
    from csrtool.errors import NotFound

    with pytest.raises(NotFound):
        create(actor_of(cast.bob), partner=cast.globex)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_for_one_address_give_one_account(cast, client_for):
    clients = [client_for(cast.bob), client_for(cast.alice)]
    barrier = threading.Barrier(2)
    statuses = []

    def attempt(client, email):
        try:
            barrier.wait()
            response = client.post("/subscribers/new/", {**GOOD, "email": email})
            taken = "already in use." in response.content.decode()
            statuses.append("taken" if taken else response.status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(client, email))
        for client, email in zip(
            clients, ("race@dup.example", "RACE@dup.example"), strict=True
        )
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses, key=str) == [302, "taken"]
    assert Subscriber.objects.filter(email_canonical="race@dup.example").count() == 1
    assert AuditEvent.objects.filter(action="subscriber.created").count() == 1


# The page


def test_the_form_has_the_seeds_fields_labels_and_button(cast, client_for):
    response = client_for(cast.bob).get("/subscribers/new/")
    page = response.content.decode()
    for label in (
        "First Name",
        "Last Name",
        "Email Address",
        "Phone Number",
        "Time Zone",
        "Billing ID",
    ):
        assert f">{label}</label>" in page
    assert "Date Format" not in page
    assert ">Create Account</button>" in page
    # Every IANA zone offered, the partner's pre-selected, with its UTC offset.
    assert 'value="America/New_York"' in page
    assert '<option value="Pacific/Chatham">UTC+1' in page
    assert page.count("<option value=") > 590


def test_creating_from_the_page_shows_the_id_and_next_steps(cast, client_for):
    client = client_for(cast.bob)
    response = client.post(
        "/subscribers/new/",
        {**GOOD, "time_zone": "Europe/Paris", "phone": "01 42 68 53 00"},
    )
    subscriber = Subscriber.objects.get(email_canonical="ada@analytical.example")
    assert response.status_code == 302
    assert response["Location"] == f"/subscribers/{subscriber.public_id}/created/"

    page = client.get(response["Location"]).content.decode()
    assert subscriber.public_id in page
    assert f'data-copy="{subscriber.public_id}"' in page
    assert "Assign a phone number" in page
    assert "Enable CX Builder features" in page
    assert subscriber.time_zone == "Europe/Paris"
    assert subscriber.phone == "+33142685300"


def test_the_page_shows_every_error_next_to_its_field(cast, client_for):
    response = client_for(cast.bob).post(
        "/subscribers/new/",
        {
            **GOOD,
            "email": "gus@other.example",
            "billing_id": "  ",
            "time_zone": "Nowhere",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This email address is already in use." in page
    assert "Billing ID is required." in page
    assert "is not a time zone" in page
    assert 'aria-invalid="true"' in page
    assert "Please correct the 4 fields below." in page  # phone has no country
    # What was typed stays in the form.
    assert 'value="Ada"' in page


def test_an_auditor_does_not_get_the_form(cast, client_for):
    assert client_for(cast.avery).get("/subscribers/new/").status_code == 404
    response = client_for(cast.avery).post("/subscribers/new/", GOOD)
    assert response.status_code == 404
    assert not Subscriber.objects.filter(
        email_canonical="ada@analytical.example"
    ).exists()


def test_the_operator_picks_the_partner_on_the_page(cast, client_for):
    client = client_for(cast.olivia)
    response = client.post(
        "/subscribers/new/", {**GOOD, "partner": "globex", "phone": "+12125550123"}
    )
    assert response.status_code == 302
    assert Subscriber.objects.get(email_canonical="ada@analytical.example").partner == (
        cast.globex
    )


# The command line


def test_the_cli_adds_an_account(cast, capsys):
    call_command(
        "subscribers",
        "add",
        "--as",
        "bob@acme.example",
        "--first-name",
        "Ada",
        "--last-name",
        "Lovelace",
        "--email",
        "ada@analytical.example",
        "--phone",
        "212-555-0123",
        "--billing-id",
        "B-9",
        "--json",
    )
    out = capsys.readouterr().out
    subscriber = Subscriber.objects.get(email_canonical="ada@analytical.example")
    assert subscriber.public_id in out
    assert subscriber.partner == cast.acme
    event = AuditEvent.objects.get(action="subscriber.created")
    assert event.channel == "cli"
    assert event.actor_label.startswith("bob@acme.example (cli:")


def test_the_cli_reports_every_bad_field_and_fails(cast):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as caught:
        call_command(
            "subscribers",
            "add",
            "--partner",
            "acme",
            "--first-name",
            "",
            "--last-name",
            "L",
            "--email",
            "bad",
            "--phone",
            "1",
            "--billing-id",
            "B",
        )
    message = str(caught.value)
    assert "first_name: First Name is required." in message
    assert "email: Enter a valid email address" in message
    assert not Subscriber.objects.filter(last_name="L").exists()


def test_the_database_itself_refuses_a_second_account_for_an_address(cast):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Subscriber.objects.create(
            partner=cast.globex,
            first_name="X",
            last_name="Y",
            email="SAM@customer.example",
            email_canonical="sam@customer.example",
            phone="+12125550100",
            time_zone="UTC",
            billing_id="b",
        )


def test_a_race_past_the_check_still_gets_the_clear_message(
    cast, actor_of, monkeypatch
):
    from csrtool import validation
    from csrtool.subscribers import services

    # As if another request inserted the address between our check and our insert.
    monkeypatch.setattr(services, "_clean_new_login", validation.clean_email)
    errors = errors_of(actor_of(cast.bob), email="Sam@Customer.example")
    assert errors == {"email": ["This email address is already in use."]}
