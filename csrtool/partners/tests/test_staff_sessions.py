import time
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from csrtool.audit.models import AuditEvent
from csrtool.conftest import PASSWORD
from csrtool.partners.login_events import SESSION_LOGIN_AT
from csrtool.partners.middleware import SESSION_RENEWED_AT


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


def signed_in_renewed_ago(seconds, *, expires_in):
    """Bob's browser, his session last renewed `seconds` ago and due to end
    `expires_in` from now."""
    client = Client()
    client.post("/login/", {"username": "bob@acme.example", "password": PASSWORD})
    session = client.session
    session[SESSION_RENEWED_AT] = int(time.time()) - seconds
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + expires_in
    )
    return client


def ends_at(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_a_page_renews_a_session_last_renewed_a_minute_ago(cast):
    client = signed_in_renewed_ago(61, expires_in=timedelta(minutes=5))

    response = client.get("/subscribers/")

    assert response.status_code == 200
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == settings.SESSION_COOKIE_AGE
    idle_limit = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert ends_at(client) > timezone.now() + idle_limit - timedelta(minutes=1)


def test_a_page_writes_no_session_renewed_less_than_a_minute_ago(cast):
    client = signed_in_renewed_ago(50, expires_in=timedelta(minutes=5))
    before = ends_at(client)

    response = client.get("/subscribers/")

    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert ends_at(client) == before


def test_a_session_left_idle_past_its_limit_is_signed_out(cast):
    client = signed_in_renewed_ago(61, expires_in=timedelta(seconds=-1))

    response = client.get("/subscribers/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_visitor_who_is_not_signed_in_gets_no_session(cast):
    response = Client().get("/login/")

    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()
