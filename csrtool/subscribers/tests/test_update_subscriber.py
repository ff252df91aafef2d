import pytest
from django.core.management import call_command

from csrtool.audit.models import AuditEvent
from csrtool.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from csrtool.subscribers.models import Status, Subscriber
from csrtool.subscribers.services import change_status, update_subscriber
from csrtool.tests.answers import UNKNOWN_SUBSCRIBER_ID, assert_cli_answers_alike


def test_a_csr_edits_names_phone_contact_email_zone_and_billing(cast, actor_of):
    update_subscriber(
        actor=actor_of(cast.bob),
        public_id=cast.sam.public_id,
        first_name="Samantha",
        last_name="Sample-Jones",
        contact_email="billing@customer.example",
        phone="+44 20 7946 0018",
        time_zone="Europe/Berlin",
        billing_id="ACME-101",
    )
    sam = Subscriber.objects.get(pk=cast.sam.pk)
    assert sam.full_name == "Samantha Sample-Jones"
    assert sam.contact_email == "billing@customer.example"
    assert sam.email == "sam@customer.example"  # the login stays
    assert sam.phone == "+442079460018"
    assert sam.date_format == "dd.MM.yy"  # follows the new zone
    assert sam.billing_id == "ACME-101"


def test_the_audit_event_holds_only_what_changed(cast, actor_of):
    update_subscriber(
        actor=actor_of(cast.bob),
        public_id=cast.sam.public_id,
        first_name="Samuel",
        last_name="Sample",
    )
    event = AuditEvent.objects.get(action="subscriber.updated")
    assert event.before == {"first_name": "Sam"}
    assert event.after == {"first_name": "Samuel"}


def test_saving_nothing_new_writes_no_event(cast, actor_of):
    update_subscriber(
        actor=actor_of(cast.bob), public_id=cast.sam.public_id, first_name="Sam"
    )
    assert not AuditEvent.objects.filter(action="subscriber.updated").exists()


def test_bad_values_are_refused_and_nothing_changes(cast, actor_of):
    with pytest.raises(ValidationFailed) as caught:
        update_subscriber(
            actor=actor_of(cast.bob),
            public_id=cast.sam.public_id,
            first_name="",
            time_zone="Atlantis/Capital",
        )
    assert set(caught.value.errors) == {"first_name", "time_zone"}
    assert Subscriber.objects.get(pk=cast.sam.pk).first_name == "Sam"


def test_the_login_email_is_not_editable_by_a_csr(cast, actor_of):
    from csrtool.errors import DomainError

    with pytest.raises(DomainError):
        update_subscriber(
            actor=actor_of(cast.bob), public_id=cast.sam.public_id, email="x@y.example"
        )


def test_an_auditor_cannot_edit(cast, actor_of):
    with pytest.raises(PermissionDenied):
        update_subscriber(
            actor=actor_of(cast.avery), public_id=cast.sam.public_id, first_name="X"
        )


def test_another_partners_subscriber_looks_unknown(cast, actor_of):
    refusals = []
    for public_id in (cast.sam.public_id, UNKNOWN_SUBSCRIBER_ID):
        with pytest.raises(NotFound) as caught:
            update_subscriber(
                actor=actor_of(cast.charlie), public_id=public_id, first_name="X"
            )
        error = caught.value
        refusals.append(
            (
                type(error),
                error.code,
                error.field,
                error.message.replace(public_id, "<id>"),
            )
        )
    foreign, unknown = refusals
    assert foreign == unknown
    assert foreign[3] == "No subscriber has the Subscriber ID '<id>'."
    assert Subscriber.objects.get(pk=cast.sam.pk).first_name == "Sam"


def test_the_edit_page_saves_and_shows_the_new_values(cast, client_for):
    client = client_for(cast.bob)
    response = client.post(
        f"/subscribers/{cast.sam.public_id}/edit/",
        {
            "first_name": "Sam",
            "last_name": "Sample",
            "contact_email": "",
            "phone": "+1 212 555 0100",
            "time_zone": "Asia/Tokyo",
            "billing_id": "ACME-100",
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Asia/Tokyo" in page
    assert "y/MM/dd" in page
    assert "Changes saved." in page


def test_the_edit_page_shows_errors_next_to_fields(cast, client_for):
    response = client_for(cast.bob).post(
        f"/subscribers/{cast.sam.public_id}/edit/",
        {
            "first_name": "",
            "last_name": "S",
            "phone": "nope",
            "time_zone": "UTC",
            "billing_id": "x",
        },
    )
    page = response.content.decode()
    assert "First Name is required." in page
    assert "Phone Number is not a phone number." in page


# Status


def test_suspend_reactivate_and_close(cast, actor_of):
    actor = actor_of(cast.bob)
    sam = change_status(
        actor=actor,
        public_id=cast.sam.public_id,
        transition="suspend",
        reason="Unpaid invoice",
    )
    assert sam.status == Status.SUSPENDED
    sam = change_status(
        actor=actor, public_id=cast.sam.public_id, transition="reactivate"
    )
    # Never activated by the subscriber, so it goes back to pending.
    assert sam.status == Status.PENDING_ACTIVATION
    sam = change_status(actor=actor, public_id=cast.sam.public_id, transition="close")
    assert sam.status == Status.CLOSED
    assert sam.closed_at is not None
    actions = list(
        AuditEvent.objects.filter(target_id=cast.sam.public_id)
        .order_by("id")
        .values_list("action", "reason")
    )
    assert actions == [
        ("subscriber.suspend", "Unpaid invoice"),
        ("subscriber.reactivate", ""),
        ("subscriber.close", ""),
    ]


def test_a_closed_account_stays_closed(cast, actor_of):
    actor = actor_of(cast.bob)
    change_status(actor=actor, public_id=cast.sam.public_id, transition="close")
    with pytest.raises(Conflict) as caught:
        change_status(
            actor=actor, public_id=cast.sam.public_id, transition="reactivate"
        )
    assert "closed cannot be reactivated" in caught.value.message
    with pytest.raises(Conflict):
        update_subscriber(actor=actor, public_id=cast.sam.public_id, first_name="Z")


def test_status_buttons_on_the_page(cast, client_for):
    client = client_for(cast.bob)
    response = client.post(
        f"/subscribers/{cast.sam.public_id}/status/",
        {"transition": "suspend", "reason": "Asked by customer"},
        follow=True,
    )
    assert "The account is now suspended." in response.content.decode()
    assert Subscriber.objects.get(pk=cast.sam.pk).status == Status.SUSPENDED


def test_cli_edit_and_status(cast, capsys):
    call_command(
        "subscribers",
        "edit",
        cast.sam.public_id,
        "--billing-id",
        "NEW-1",
        "--as",
        "bob@acme.example",
    )
    call_command(
        "subscribers",
        "status",
        cast.sam.public_id,
        "suspend",
        "--reason",
        "fraud check",
        "--as",
        "bob@acme.example",
        "--json",
    )
    sam = Subscriber.objects.get(pk=cast.sam.pk)
    assert sam.billing_id == "NEW-1" and sam.status == Status.SUSPENDED
    assert '"status": "suspended"' in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ("subscribers", "show", "{}"),
        ("subscribers", "edit", "{}", "--billing-id", "STOLEN"),
        ("subscribers", "status", "{}", "suspend", "--reason", "x"),
    ],
)
def test_cli_cannot_reach_another_partners_subscriber(cast, args):
    answer = assert_cli_answers_alike(
        (*args, "--as", "bob@acme.example"),
        foreign=cast.gus.public_id,
        unknown=UNKNOWN_SUBSCRIBER_ID,
    )
    assert answer["console_script"][1:] == (
        "",
        "csrtool subscribers: No subscriber has the Subscriber ID '<id>'.\n",
    )
    gus = Subscriber.objects.get(pk=cast.gus.pk)
    assert gus.billing_id == "GLX-200" and gus.status == Status.PENDING_ACTIVATION
