import time

from django.test import Client

from csrtool.audit.models import AuditEvent
from csrtool.conftest import PASSWORD
from csrtool.partners.login_events import SESSION_LOGIN_AT


def test_signing_in_and_out_is_audited(cast):
    client = Client()
    client.post(
        "/login/",
        {"username": "bob@acme.example", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )
    client.post("/logout/")
    events = list(
        AuditEvent.objects.filter(action__startswith="staff.log").order_by("id")
    )
    assert [e.action for e in events] == ["staff.login", "staff.logout"]
    assert events[0].actor_user == cast.bob
    assert events[0].partner == cast.acme
    assert events[0].source_ip == "198.51.100.7"


def test_a_failed_sign_in_is_audited_against_the_account(cast):
    Client().post("/login/", {"username": "BOB@acme.example", "password": "wrong!"})
    event = AuditEvent.objects.get(action="staff.login_failed")
    assert event.outcome == "failure"
    assert event.target_id == str(cast.bob.pk)
    assert event.partner == cast.acme
    assert "wrong!" not in str(event.__dict__)


def test_an_unknown_address_is_not_kept(cast):
    Client().post("/login/", {"username": "my-secret-password", "password": "whatever"})
    event = AuditEvent.objects.get(action="staff.login_failed")
    assert event.actor_label == "anonymous"
    assert event.partner is None
    assert "my-secret-password" not in str(event.__dict__)


def test_a_session_ends_twelve_hours_after_sign_in(cast):
    client = Client()
    client.post("/login/", {"username": "bob@acme.example", "password": PASSWORD})
    assert client.get("/").status_code == 200
    session = client.session
    session[SESSION_LOGIN_AT] = int(time.time()) - 12 * 3600 - 5
    session.save()
    response = client.get("/subscribers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert client.get("/").status_code == 302  # signed out, not just redirected


def test_a_session_younger_than_that_goes_on(cast):
    client = Client()
    client.post("/login/", {"username": "bob@acme.example", "password": PASSWORD})
    session = client.session
    session[SESSION_LOGIN_AT] = int(time.time()) - 11 * 3600
    session.save()
    assert client.get("/").status_code == 200
