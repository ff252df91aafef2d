import json
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from csrtool import throttle, timezones
from csrtool.audit.models import AuditEvent
from csrtool.conftest import assert_accessible, browser_login
from csrtool.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from csrtool.partners.access import cli_actor
from csrtool.portal import signin_lock
from csrtool.portal.tests.conftest import SAM_PASSWORD, activate
from csrtool.tests.answers import UNKNOWN_SUBSCRIBER_ID, assert_cli_answers_alike

pytestmark = pytest.mark.django_db

REASON = "Caller verified by PIN"


def lock_out(subscriber, *, now=None):
    """Ten failed sign-ins of `subscriber` from one address, and as many from
    others; returns until when sign-in is held back (the locked address's 30
    minutes outlast the account's first wait)."""
    now = now or timezone.now()
    rule = throttle.LOGIN_PAIR
    for _ in range(rule.limit):
        throttle.fail(rule, (subscriber.email_canonical, "203.0.113.77"), now=now)
    for _ in range(throttle.LOGIN_ACCOUNT.limit):
        throttle.fail(throttle.LOGIN_ACCOUNT, subscriber.email_canonical, now=now)
    return now + rule.period


def lock_ip(ip="203.0.113.9"):
    for _ in range(throttle.LOGIN_IP.limit):
        throttle.fail(throttle.LOGIN_IP, ip, now=timezone.now())


def signs_in(subscriber, ip="198.51.100.7") -> bool:
    response = Client().post(
        "/portal/login/",
        {"email": subscriber.email, "password": SAM_PASSWORD},
        REMOTE_ADDR=ip,
    )
    return response.status_code == 302


def unlocks():
    return AuditEvent.objects.filter(action="portal.sign_in_unlocked")


def unlock(actor, subscriber, reason=REASON):
    return signin_lock.unlock_sign_in(
        actor=actor, public_id=subscriber.public_id, reason=reason
    )


# The service


def test_a_csr_sees_until_when_sign_in_is_locked(sam, cast, actor_of):
    until = lock_out(sam)
    assert signin_lock.sign_in_locked_until(
        actor=actor_of(cast.bob), subscriber=sam
    ) == (until)


def test_an_open_sign_in_reads_as_not_locked(sam, cast, actor_of):
    throttle.fail(throttle.LOGIN_ACCOUNT, sam.email_canonical)
    bob = actor_of(cast.bob)
    assert signin_lock.sign_in_locked_until(actor=bob, subscriber=sam) is None


def test_a_lock_that_has_run_out_reads_as_not_locked(sam, cast, actor_of):
    until = lock_out(sam)
    assert (
        signin_lock.sign_in_locked_until(
            actor=actor_of(cast.bob), subscriber=sam, now=until
        )
        is None
    )


def test_a_csr_unlocks_sign_in_and_the_subscriber_can_sign_in_again(
    sam, cast, actor_of
):
    until = lock_out(sam)
    assert not signs_in(sam)
    assert unlock(actor_of(cast.bob), sam) == until
    assert signs_in(sam)
    event = unlocks().get()
    assert event.actor_user == cast.bob and event.partner == cast.acme
    assert event.target_id == sam.public_id
    assert event.reason == REASON
    # The audit row writes the moment as the API does: RFC 3339 in UTC.
    assert event.before == {"sign_in_locked_until": timezones.rfc3339(until)}
    assert event.after == {"sign_in_locked_until": None}


def test_after_an_unlock_the_subscriber_has_ten_tries_again(sam, cast, actor_of):
    lock_out(sam)
    unlock(actor_of(cast.bob), sam)
    for _ in range(throttle.LOGIN_ACCOUNT.limit - 1):
        throttle.fail(throttle.LOGIN_ACCOUNT, sam.email_canonical)
    assert signs_in(sam)


def test_it_refuses_an_unlock_without_a_reason(sam, cast, actor_of):
    lock_out(sam)
    with pytest.raises(ValidationFailed) as error:
        unlock(actor_of(cast.bob), sam, reason="   ")
    assert "reason" in error.value.errors
    assert not signs_in(sam)
    assert not unlocks().exists()


def test_it_refuses_to_unlock_an_account_that_is_not_locked(sam, cast, actor_of):
    with pytest.raises(Conflict, match="not locked"):
        unlock(actor_of(cast.bob), sam)
    assert not unlocks().exists()


def test_an_auditor_sees_the_lock_but_cannot_lift_it(sam, cast, actor_of):
    until = lock_out(sam)
    avery = actor_of(cast.avery)
    assert signin_lock.sign_in_locked_until(actor=avery, subscriber=sam) == until
    with pytest.raises(PermissionDenied):
        unlock(avery, sam)
    assert not signs_in(sam)


def test_staff_of_another_partner_can_neither_see_nor_lift_the_lock(
    sam, cast, actor_of
):
    lock_out(sam)
    charlie = actor_of(cast.charlie)
    with pytest.raises(NotFound):
        signin_lock.sign_in_locked_until(actor=charlie, subscriber=sam)
    with pytest.raises(NotFound):
        signin_lock.sign_in_lock(actor=charlie, public_id=sam.public_id)
    with pytest.raises(NotFound):
        unlock(charlie, sam)
    assert not signs_in(sam)


def test_locks_of_client_addresses_are_neither_shown_nor_lifted(sam, cast, actor_of):
    lock_ip("203.0.113.9")
    bob = actor_of(cast.bob)
    assert signin_lock.sign_in_locked_until(actor=bob, subscriber=sam) is None
    with pytest.raises(Conflict):
        unlock(bob, sam)
    lock_out(sam)
    unlock(bob, sam)
    assert throttle.is_locked(throttle.LOGIN_IP, "203.0.113.9")
    assert not signs_in(sam, ip="203.0.113.9")


# The subscriber page


def test_the_subscriber_page_shows_the_lock_in_the_csrs_time_zone(
    sam, cast, client_for
):
    cast.bob.time_zone = "Asia/Tokyo"
    cast.bob.save(update_fields=["time_zone"])
    until = lock_out(sam)
    page = client_for(cast.bob).get(f"/subscribers/{sam.public_id}/").content.decode()
    assert "Portal sign-in" in page
    # Tokyo's date format, the zone named: 2026/12/04 11:30 JST.
    assert timezones.format_local_datetime(until, "Asia/Tokyo") in page
    assert "Unlock sign-in" in page


def test_the_subscriber_page_says_when_sign_in_is_open(sam, cast, client_for):
    page = client_for(cast.bob).get(f"/subscribers/{sam.public_id}/").content.decode()
    assert "Not locked: the subscriber can sign in" in page
    assert "Unlock sign-in" not in page


def test_the_page_does_not_mention_a_locked_client_address(sam, cast, client_for):
    lock_ip("203.0.113.9")
    page = client_for(cast.bob).get(f"/subscribers/{sam.public_id}/").content.decode()
    assert "Not locked" in page and "Unlock sign-in" not in page


def test_an_auditor_sees_the_lock_without_an_unlock_button(sam, cast, client_for):
    lock_out(sam)
    page = client_for(cast.avery).get(f"/subscribers/{sam.public_id}/")
    assert "after too many failed attempts" in page.content.decode()
    assert "Unlock sign-in" not in page.content.decode()


def test_a_csr_unlocks_sign_in_from_the_subscriber_page(sam, cast, client_for):
    lock_out(sam)
    client = client_for(cast.bob)
    response = client.post(
        f"/subscribers/{sam.public_id}/sign-in-lock/unlock/",
        {"reason": REASON},
        follow=True,
    )
    page = response.content.decode()
    assert "Portal sign-in is unlocked" in page
    assert "Not locked: the subscriber can sign in" in page
    assert unlocks().get().channel == "web"
    assert signs_in(sam)


def test_the_page_asks_for_a_reason(sam, cast, client_for):
    lock_out(sam)
    response = client_for(cast.bob).post(
        f"/subscribers/{sam.public_id}/sign-in-lock/unlock/",
        {"reason": ""},
        follow=True,
    )
    assert "Say why sign-in is unlocked" in response.content.decode()
    assert not signs_in(sam)


def test_another_partners_csr_gets_a_404_page(sam, cast, client_for):
    lock_out(sam)
    response = client_for(cast.charlie).post(
        f"/subscribers/{sam.public_id}/sign-in-lock/unlock/", {"reason": REASON}
    )
    assert response.status_code == 404
    assert not unlocks().exists()


def test_an_auditor_cannot_post_an_unlock(sam, cast, client_for):
    lock_out(sam)
    response = client_for(cast.avery).post(
        f"/subscribers/{sam.public_id}/sign-in-lock/unlock/", {"reason": REASON}
    )
    assert response.status_code == 404
    assert not signs_in(sam)


# The API


def test_the_api_reports_the_lock(sam, cast, api_client_for):
    until = lock_out(sam)
    response = api_client_for(cast.acme).get(
        f"/api/v1/subscribers/{sam.public_id}/sign-in-lock"
    )
    assert response.status_code == 200
    data = response.json()
    assert data["locked"] is True
    reported = datetime.fromisoformat(data["locked_until"])
    assert abs(reported - until) < timedelta(milliseconds=1)


def test_the_api_unlocks_sign_in(sam, cast, api_client_for):
    lock_out(sam)
    api = api_client_for(cast.acme)
    url = f"/api/v1/subscribers/{sam.public_id}/sign-in-lock/unlock"
    response = api.post(url, {"reason": REASON}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["locked"] is False
    assert unlocks().get().channel == "api"
    assert signs_in(sam)
    again = api.post(url, {"reason": REASON}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "not_locked"


def test_the_api_refuses_an_auditor_key(sam, cast, api_client_for):
    lock_out(sam)
    api = api_client_for(cast.acme, role="auditor")
    response = api.post(
        f"/api/v1/subscribers/{sam.public_id}/sign-in-lock/unlock",
        {"reason": REASON},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not signs_in(sam)


def test_another_partners_key_gets_not_found(sam, cast, api_client_for):
    lock_out(sam)
    api = api_client_for(cast.globex)
    seen = api.get(f"/api/v1/subscribers/{sam.public_id}/sign-in-lock")
    lifted = api.post(
        f"/api/v1/subscribers/{sam.public_id}/sign-in-lock/unlock",
        {"reason": REASON},
        content_type="application/json",
    )
    unknown = api.get("/api/v1/subscribers/nosuchsubscriber/sign-in-lock")
    assert seen.status_code == lifted.status_code == unknown.status_code == 404
    assert seen.json()["code"] == "not_found"
    assert seen.json()["detail"].replace(sam.public_id, "x") == unknown.json()[
        "detail"
    ].replace("nosuchsubscriber", "x")
    assert not signs_in(sam)


# The command line


def run(*args):
    out = StringIO()
    call_command("signinlock", *args, stdout=out)
    return out.getvalue()


def test_the_command_line_shows_and_lifts_the_lock(sam, cast):
    until = lock_out(sam)
    shown = json.loads(run("show", sam.public_id, "--json"))
    locked_until = shown.pop("locked_until")
    assert shown == {"subscriber_id": sam.public_id, "locked": True}
    # As the API writes moments: RFC 3339 in UTC.
    assert locked_until.endswith("Z")
    assert abs(datetime.fromisoformat(locked_until) - until) < timedelta(milliseconds=1)
    output = run("unlock", sam.public_id, "--reason", REASON, "--as", cast.bob.email)
    assert "unlocked" in output
    event = unlocks().get()
    assert event.channel == "cli" and event.actor_user == cast.bob
    assert "not locked" in run("show", sam.public_id)
    assert signs_in(sam)


@pytest.mark.parametrize(
    "args",
    [("signinlock", "unlock", "{}", "--reason", REASON), ("signinlock", "show", "{}")],
)
def test_the_command_line_refuses_another_partners_subscriber(sam, cast, args):
    lock_out(sam)
    answer = assert_cli_answers_alike(
        (*args, "--as", cast.charlie.email),
        foreign=sam.public_id,
        unknown=UNKNOWN_SUBSCRIBER_ID,
    )
    assert answer["console_script"][2] == (
        "csrtool signinlock: No subscriber has the Subscriber ID '<id>'.\n"
    )
    assert not signs_in(sam)


def test_the_operator_unlocks_any_partners_subscriber(gus):
    lock_out(gus)
    unlock(cli_actor(), gus)
    assert unlocks().get().partner == gus.partner


def test_an_unlock_at_the_moment_the_lock_runs_out_reads_as_not_locked(
    sam, cast, actor_of
):
    until = lock_out(sam, now=timezone.now() - timedelta(minutes=30))
    assert until <= timezone.now()
    with pytest.raises(Conflict):
        unlock(actor_of(cast.bob), sam)


# In the browser


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_csr_unlocks_a_locked_sign_in_from_the_subscriber_page(page, cast):
    activate(cast.sam)
    for _ in range(throttle.LOGIN_ACCOUNT.limit):
        throttle.fail(throttle.LOGIN_ACCOUNT, cast.sam.email_canonical)
    browser_login(page, cast.bob)
    page.goto(f"/subscribers/{cast.sam.public_id}/")
    page.get_by_text("after too many failed attempts").wait_for()
    assert_accessible(page)
    page.get_by_label("Reason for unlocking").fill("Caller verified by PIN")
    page.get_by_role("button", name="Unlock sign-in").click()
    page.get_by_text("Portal sign-in is unlocked").wait_for()
    assert page.get_by_text("Not locked: the subscriber can sign in").is_visible()
    assert_accessible(page)
