"""A partner is a hard boundary.

Through every page, command and API route, Globex's staff learn nothing of Acme's
subscribers, staff, keys or audit rows, and a foreign ID answers like an unknown one.
"""

import json

import pytest

from csrtool.audit.models import AuditEvent
from csrtool.subscribers.models import Subscriber
from csrtool.tests.answers import UNKNOWN_SUBSCRIBER_ID as UNKNOWN_ID
from csrtool.tests.answers import assert_cli_answers_alike

SUBSCRIBER_PAGES = [
    ("get", "/subscribers/{}/"),
    ("get", "/subscribers/{}/created/"),
    ("get", "/subscribers/{}/edit/"),
    ("post", "/subscribers/{}/edit/"),
    ("post", "/subscribers/{}/status/"),
]


@pytest.mark.parametrize(("method", "url"), SUBSCRIBER_PAGES)
def test_subscriber_pages_answer_a_foreign_id_like_an_unknown_one(
    cast, client_for, method, url
):
    client = client_for(cast.charlie)
    data = {"transition": "close", "first_name": "Hacked"}
    foreign = getattr(client, method)(url.format(cast.sam.public_id), data)
    unknown = getattr(client, method)(url.format(UNKNOWN_ID), data)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.content == unknown.content
    sam = Subscriber.objects.get(pk=cast.sam.pk)
    assert sam.first_name == "Sam" and sam.status == "pending_activation"


def test_lists_show_only_the_partners_own_rows(cast, client_for):
    client = client_for(cast.charlie)
    home = client.get("/").content.decode()
    staff = client.get("/staff/").content.decode()
    audit = client.get("/audit/").content.decode()
    for page in (home, staff, audit):
        assert "sam@customer.example" not in page
        assert "bob@acme.example" not in page
        assert "Acme" not in page


def test_staff_of_another_partner_cannot_be_edited(cast, client_for):
    client = client_for(cast.gina)  # Globex's admin
    response = client.post(
        f"/staff/{cast.bob.pk}/", {"role": "auditor", "full_name": "x"}
    )
    assert response.status_code == 404
    cast.bob.refresh_from_db()
    assert cast.bob.role == "csr"
    assert client.post(f"/staff/{cast.bob.pk}/invite/").status_code == 404
    assert not AuditEvent.objects.filter(action="staff.invited").exists()


def test_partner_pages_are_for_the_operator_only(cast, client_for):
    for user in (cast.alice, cast.bob, cast.charlie):
        client = client_for(user)
        assert client.get("/partners/").status_code == 404
        assert client.get("/partners/acme/").status_code == 404
        assert client.get("/partners/globex/edit/").status_code == 404


def test_the_audit_export_holds_only_the_partners_rows(cast, client_for, actor_of):
    from csrtool.subscribers.services import update_subscriber

    update_subscriber(
        actor=actor_of(cast.bob),
        public_id=cast.sam.public_id,
        billing_id="SECRET-ACME-BILLING",
    )
    response = client_for(cast.gina).get("/audit/export.csv")
    body = b"".join(response.streaming_content).decode()
    assert "SECRET-ACME-BILLING" not in body
    assert cast.sam.public_id not in body


def test_the_api_answers_a_foreign_id_like_an_unknown_one(cast, api_client_for):
    api = api_client_for(cast.globex)
    for method, suffix, body in [
        ("get", "", None),
        ("patch", "", {"first_name": "Hacked"}),
        ("post", "/close", {}),
    ]:
        responses = []
        for public_id in (cast.sam.public_id, UNKNOWN_ID):
            call = getattr(api, method)
            kwargs = {"content_type": "application/json"}
            if body is not None:
                kwargs["data"] = json.dumps(body)
            responses.append(call(f"/api/v1/subscribers/{public_id}{suffix}", **kwargs))
        foreign, unknown = responses
        assert foreign.status_code == unknown.status_code == 404

        def shape(response, public_id):
            body = response.content.decode().replace(public_id, "<id>")
            return {
                k: v
                for k, v in json.loads(body).items()
                if k not in ("instance", "request_id")
            }

        assert shape(foreign, cast.sam.public_id) == shape(unknown, UNKNOWN_ID)
    assert Subscriber.objects.get(pk=cast.sam.pk).first_name == "Sam"


def test_the_api_lists_only_the_partners_subscribers(cast, api_client_for):
    items = api_client_for(cast.globex).get("/api/v1/subscribers").json()["items"]
    assert [i["subscriber_id"] for i in items] == [cast.gus.public_id]


CLI_AS_CHARLIE = ("--as", "charlie@globex.example")


@pytest.mark.parametrize(
    "args",
    [
        ("subscribers", "show", "{}"),
        ("subscribers", "edit", "{}", "--first-name", "X"),
        ("subscribers", "status", "{}", "close"),
    ],
)
def test_the_cli_answers_a_foreign_id_like_an_unknown_one(cast, args):
    answer = assert_cli_answers_alike(
        (*args, *CLI_AS_CHARLIE), foreign=cast.sam.public_id, unknown=UNKNOWN_ID
    )
    assert answer["console_script"][2] == (
        "csrtool subscribers: No subscriber has the Subscriber ID '<id>'.\n"
    )
    sam = Subscriber.objects.get(pk=cast.sam.pk)
    assert sam.first_name == "Sam" and sam.status == "pending_activation"


def test_the_cli_answers_a_foreign_partner_like_an_unknown_one(cast):
    answer = assert_cli_answers_alike(
        (
            "subscribers",
            "add",
            "--partner",
            "{}",
            "--first-name",
            "A",
            "--last-name",
            "B",
            "--email",
            "ab@x.example",
            "--phone",
            "+12125550111",
            "--billing-id",
            "b",
            *CLI_AS_CHARLIE,
        ),
        foreign="acme",
        unknown="zeta",
    )
    assert answer["call_command"][1] == (
        "No partner has the slug '<id>'. Use --partner globex."
    )
    assert not Subscriber.objects.filter(email_canonical="ab@x.example").exists()


def test_refused_attempts_leave_no_change_events(cast, client_for):
    client_for(cast.charlie).post(
        f"/subscribers/{cast.sam.public_id}/status/", {"transition": "close"}
    )
    assert not AuditEvent.objects.filter(target_id=cast.sam.public_id).exists()
