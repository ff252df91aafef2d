"""A second factor after the password: signing in with it, codes refused,
recovery codes, who must have one, and the step-up before sensitive actions.
(Setting one up and resets: test_second_factor_reset.py; in Chromium:
test_browser_second_factor.py.)"""

import time

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from csrtool.api.models import ApiKey
from csrtool.audit.models import AuditEvent
from csrtool.conftest import PASSWORD, give_authenticator, totp_code, unused_code
from csrtool.partners import second_factor
from csrtool.partners.models import SecondFactorPolicy
from csrtool.partners.second_factor_views import PASSED_AT


def password_step(user, client=None) -> Client:
    client = client or Client()
    response = client.post("/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def actions(user) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_id=str(user.pk), action__startswith="staff.")
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_after_the_password_the_session_waits_for_the_code(cast):
    secret = give_authenticator(cast.bob)
    client = Client()
    response = client.post(
        "/login/", {"username": "bob@acme.example", "password": PASSWORD}
    )
    assert response["Location"] == "/login/second-factor/"
    assert not signed_in(client)
    assert client.get("/subscribers/").status_code == 302

    response = client.post("/login/second-factor/", {"code": totp_code(secret)})
    assert response["Location"] == "/"
    assert signed_in(client)
    assert actions(cast.bob) == ["staff.second_factor_passed", "staff.login"]
    passed = AuditEvent.objects.get(action="staff.second_factor_passed")
    assert passed.after == {"method": "authenticator app", "purpose": "sign_in"}


def test_staff_without_a_factor_and_not_required_sign_in_with_the_password(cast):
    client = password_step(cast.bob)
    assert signed_in(client)


def test_a_wrong_code_is_refused_and_audited(cast):
    secret = give_authenticator(cast.bob)
    client = password_step(cast.bob)
    right = totp_code(secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post("/login/second-factor/", {"code": wrong})
    assert "That code is not right" in response.content.decode()
    assert not signed_in(client)
    failed = AuditEvent.objects.get(action="staff.second_factor_failed")
    assert failed.outcome == "failure"
    assert failed.partner == cast.acme
    assert wrong not in str(failed.__dict__)


def test_a_code_used_once_is_refused_the_second_time(cast):
    secret = give_authenticator(cast.bob)
    code = totp_code(secret)
    first = password_step(cast.bob)
    first.post("/login/second-factor/", {"code": code})
    assert signed_in(first)

    second = password_step(cast.bob)
    response = second.post("/login/second-factor/", {"code": code})
    assert "That code is not right" in response.content.decode()
    assert not signed_in(second)


def test_after_a_wrong_code_the_device_makes_the_next_try_wait(cast):
    secret = give_authenticator(cast.bob)
    client = password_step(cast.bob)
    client.post("/login/second-factor/", {"code": "000000"})
    response = client.post("/login/second-factor/", {"code": totp_code(secret)})
    assert "Too many wrong codes: wait a few seconds" in response.content.decode()
    assert not signed_in(client)
    time.sleep(1.1)
    client.post("/login/second-factor/", {"code": totp_code(secret)})
    assert signed_in(client)


def test_five_wrong_codes_send_the_sign_in_back_to_the_password(cast):
    give_authenticator(cast.bob)
    client = password_step(cast.bob)
    device = TOTPDevice.objects.get(user=cast.bob)
    for _ in range(5):
        # Past the device's own wait, so each try is checked.
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
        response = client.post("/login/second-factor/", {"code": "000000"})
    assert response["Location"] == "/login/"
    assert client.get("/login/second-factor/")["Location"] == "/login/"
    assert AuditEvent.objects.filter(action="staff.second_factor_failed").count() == 5


def test_wrong_codes_count_like_wrong_passwords_against_the_address(cast, settings):
    from csrtool import throttle

    give_authenticator(cast.bob)
    client = password_step(cast.bob)
    client.post("/login/second-factor/", {"code": "000000"}, REMOTE_ADDR="10.9.8.7")
    assert throttle.remaining(throttle.LOGIN_IP, "10.9.8.7") == (
        throttle.LOGIN_IP.limit - 1
    )


def test_a_recovery_code_signs_in_once(cast):
    give_authenticator(cast.bob)
    codes = second_factor.new_recovery_codes(actor=_actor(cast.bob))
    assert len(codes) == 10
    client = password_step(cast.bob)
    response = client.post(
        "/login/second-factor/", {"code": codes[0].upper()}, follow=True
    )
    assert "You signed in with a recovery code" in response.content.decode()
    assert "9 left" in response.content.decode()
    assert signed_in(client)
    assert StaticToken.objects.filter(token=codes[0]).count() == 0
    passed = AuditEvent.objects.get(action="staff.second_factor_passed")
    assert passed.after["method"] == "recovery codes"

    again = password_step(cast.bob)
    again.post("/login/second-factor/", {"code": codes[0]})
    assert not signed_in(again)


def test_new_recovery_codes_replace_the_old(cast):
    give_authenticator(cast.bob)
    old = second_factor.new_recovery_codes(actor=_actor(cast.bob))
    new = second_factor.new_recovery_codes(actor=_actor(cast.bob))
    assert not set(old) & set(new)
    assert second_factor.recovery_codes_left(cast.bob) == 10
    client = password_step(cast.bob)
    client.post("/login/second-factor/", {"code": old[0]})
    assert not signed_in(client)


def _actor(user):
    from csrtool.partners.access import staff_actor

    return staff_actor(user)


# Who must have one.


@pytest.mark.parametrize(
    ("policy", "required"),
    [
        (SecondFactorPolicy.NOBODY, set()),
        (SecondFactorPolicy.PARTNER_ADMINS, {"alice"}),
        (SecondFactorPolicy.ALL_STAFF, {"alice", "bob", "avery"}),
    ],
)
def test_the_partner_says_who_must_have_one(cast, policy, required):
    cast.acme.second_factor_required_for = policy
    cast.acme.save()
    for name in ("alice", "bob", "avery"):
        user = getattr(cast, name)
        user.refresh_from_db()
        assert second_factor.required(user) == (name in required), name
    assert not second_factor.required(cast.charlie)
    assert second_factor.required(cast.olivia)


def test_an_operator_without_one_is_sent_to_set_it_up_first(cast):
    client = password_step(cast.olivia)
    response = client.get("/login/second-factor/")
    assert response["Location"] == "/login/second-factor/set-up/"
    assert not signed_in(client)
    assert client.get("/partners/").status_code == 302


def test_required_staff_set_it_up_before_reaching_anything(cast):
    cast.acme.second_factor_required_for = SecondFactorPolicy.ALL_STAFF
    cast.acme.save()
    client = Client()
    response = client.post(
        "/login/", {"username": "bob@acme.example", "password": PASSWORD}
    )
    assert response["Location"] == "/login/second-factor/set-up/"
    page = client.get("/login/second-factor/set-up/").content.decode()
    assert "Acme Telecom requires a second factor" in page
    assert not signed_in(client)
    device = TOTPDevice.objects.get(user=cast.bob)
    assert not device.confirmed
    assert not second_factor.enrolled(cast.bob)

    secret = second_factor.secret_text(device)
    assert secret.replace(" ", "") in page.replace(" ", "")
    response = client.post("/login/second-factor/set-up/", {"code": totp_code(secret)})
    assert "Your recovery codes" in response.content.decode()
    assert signed_in(client)
    assert second_factor.enrolled(cast.bob)
    assert actions(cast.bob) == [
        "staff.second_factor_added",
        "staff.recovery_codes_created",
        "staff.login",
    ]
    tokens = StaticToken.objects.filter(device__user=cast.bob)
    assert all(t.token in response.content.decode() for t in tokens)


def test_set_up_at_sign_in_refuses_a_wrong_code(cast):
    client = password_step(cast.olivia)
    client.get("/login/second-factor/set-up/")
    response = client.post("/login/second-factor/set-up/", {"code": "12345x"})
    assert "That code is not right" in response.content.decode()
    assert not signed_in(client)
    assert not second_factor.enrolled(cast.olivia)
    assert actions(cast.olivia) == ["staff.second_factor_failed"]


def test_the_pending_sign_in_times_out(cast):
    secret = give_authenticator(cast.bob)
    client = password_step(cast.bob)
    session = client.session
    session["staff_second_factor_pending"]["at"] -= 11 * 60
    session.save()
    response = client.post("/login/second-factor/", {"code": totp_code(secret)})
    assert response["Location"] == "/login/"
    assert not signed_in(client)


def test_a_switched_off_member_cannot_finish_with_the_code(cast):
    secret = give_authenticator(cast.bob)
    client = password_step(cast.bob)
    cast.bob.is_active = False
    cast.bob.save()
    client.post("/login/second-factor/", {"code": totp_code(secret)})
    assert not signed_in(client)


# Step-up: asked again before the most sensitive actions.


def sign_in_with_code(user, secret) -> Client:
    client = password_step(user)
    client.post("/login/second-factor/", {"code": totp_code(secret)})
    assert signed_in(client)
    return client


def age_second_factor(client, minutes: int) -> None:
    session = client.session
    session[PASSED_AT] = int(time.time()) - minutes * 60
    session.save()


def test_an_api_key_is_made_without_asking_again_within_15_minutes(cast):
    secret = give_authenticator(cast.alice)
    client = sign_in_with_code(cast.alice, secret)
    age_second_factor(client, 14)
    client.post("/settings/api-keys/", {"name": "crm", "role": "csr"})
    assert ApiKey.objects.filter(name="crm").exists()


def test_an_api_key_asks_for_the_second_factor_again_after_15_minutes(cast):
    secret = give_authenticator(cast.alice)
    client = sign_in_with_code(cast.alice, secret)
    age_second_factor(client, 16)
    response = client.post("/settings/api-keys/", {"name": "crm", "role": "csr"})
    assert response["Location"] == "/account/confirm/?next=%2Fsettings%2Fapi-keys%2F"
    assert not ApiKey.objects.filter(name="crm").exists()

    device = TOTPDevice.objects.get(user=cast.alice)
    response = client.post(
        "/account/confirm/?next=/settings/api-keys/", {"code": unused_code(device)}
    )
    assert response["Location"] == "/settings/api-keys/"
    client.post("/settings/api-keys/", {"name": "crm", "role": "csr"})
    assert ApiKey.objects.filter(name="crm").exists()
    step_up = AuditEvent.objects.filter(action="staff.second_factor_passed").last()
    assert step_up.after["purpose"] == "step_up"


def test_the_audit_export_asks_again_after_15_minutes(cast):
    secret = give_authenticator(cast.avery)
    client = sign_in_with_code(cast.avery, secret)
    assert client.get("/audit/export.csv").status_code == 200
    age_second_factor(client, 16)
    response = client.get("/audit/export.csv?action=staff.login")
    assert response["Location"].startswith("/account/confirm/?next=")
    assert "export.csv%3Faction%3Dstaff.login" in response["Location"]


def test_changing_who_needs_a_second_factor_asks_again(cast):
    secret = give_authenticator(cast.alice)
    client = sign_in_with_code(cast.alice, secret)
    age_second_factor(client, 16)
    form = {
        field: getattr(cast.acme, field)
        for field in ("name", "time_zone", "product_name")
    }
    form.update(
        link_expiry_hours=72,
        number_aging_days=90,
        number_hold_minutes=30,
        api_key_idle_days=90,
        invitations_per_minute=60,
        self_service_numbers="on",
    )
    response = client.post(
        "/settings/", {**form, "second_factor_required_for": "all_staff"}
    )
    assert response["Location"].startswith("/account/confirm/")
    cast.acme.refresh_from_db()
    assert cast.acme.second_factor_required_for == "nobody"

    age_second_factor(client, 1)
    client.post("/settings/", {**form, "second_factor_required_for": "all_staff"})
    cast.acme.refresh_from_db()
    assert cast.acme.second_factor_required_for == "all_staff"
    event = AuditEvent.objects.get(action="partner.updated")
    assert event.before == {"second_factor_required_for": "nobody"}
    assert event.after == {"second_factor_required_for": "all_staff"}


def test_step_up_refuses_a_wrong_code_and_a_foreign_next(cast):
    secret = give_authenticator(cast.alice)
    client = sign_in_with_code(cast.alice, secret)
    age_second_factor(client, 16)
    response = client.post(
        "/account/confirm/?next=https://evil.example/", {"code": "999999"}
    )
    assert "That code is not right" in response.content.decode()
    device = TOTPDevice.objects.get(user=cast.alice)
    time.sleep(1.1)
    response = client.post(
        "/account/confirm/?next=https://evil.example/", {"code": unused_code(device)}
    )
    assert response["Location"] == "/"


def test_api_keys_and_the_command_line_are_not_asked_for_a_code(
    cast, api_client_for, capsys
):
    from django.core.management import call_command

    give_authenticator(cast.alice)
    cast.acme.second_factor_required_for = SecondFactorPolicy.ALL_STAFF
    cast.acme.save()
    api = api_client_for(cast.acme, role="partner_admin")
    assert api.get("/api/v1/staff").status_code == 200
    call_command("staff", "list", "--as", "alice@acme.example")
    assert "bob@acme.example" in capsys.readouterr().out
