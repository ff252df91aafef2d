"""Passkeys beside the other second factors: who may remove one, resets, and
answers that are refused without a browser. (Adding and using one with a real
authenticator: test_browser_passkeys.py.)"""

import json
import time

from django.test import Client
from webauthn.helpers import bytes_to_base64url

from csrtool.audit.models import AuditEvent
from csrtool.conftest import PASSWORD, give_authenticator
from csrtool.partners import second_factor
from csrtool.partners.models import StaffPasskey
from csrtool.partners.second_factor_views import PASSED_AT


def give_passkey(user, name="Desk key") -> StaffPasskey:
    credential_id = bytes_to_base64url(f"{user.pk} {name}".encode())
    return StaffPasskey.objects.create(
        user=user, name=name, credential_id=credential_id, public_key=b"k"
    )


def fresh(client_for, user) -> Client:
    client = client_for(user)
    session = client.session
    session[PASSED_AT] = int(time.time())
    session.save()
    return client


def test_a_passkey_is_a_second_factor(cast):
    give_passkey(cast.bob)
    assert second_factor.enrolled(cast.bob)
    assert second_factor.methods(cast.bob) == ["1 passkey"]
    response = Client().post(
        "/login/", {"username": cast.bob.email, "password": PASSWORD}
    )
    assert response["Location"] == "/login/second-factor/"


def test_a_member_removes_a_passkey_of_their_own_only(cast, client_for):
    mine = give_passkey(cast.bob)
    theirs = give_passkey(cast.avery)
    client = fresh(client_for, cast.bob)
    client.post(f"/account/security/passkeys/{theirs.pk}/remove/")
    assert StaffPasskey.objects.filter(pk=theirs.pk).exists()
    response = client.post(f"/account/security/passkeys/{mine.pk}/remove/", follow=True)
    assert "Passkey “Desk key” removed." in response.content.decode()
    assert not second_factor.enrolled(cast.bob)
    event = AuditEvent.objects.get(action="staff.second_factor_removed")
    assert event.before == {"method": "passkey", "name": "Desk key"}


def test_the_only_required_factor_cannot_be_removed(cast, client_for):
    cast.acme.second_factor_required_for = "all_staff"
    cast.acme.save()
    only = give_passkey(cast.bob)
    client = fresh(client_for, cast.bob)
    response = client.post(f"/account/security/passkeys/{only.pk}/remove/", follow=True)
    assert "you cannot remove your only one" in response.content.decode()
    assert StaffPasskey.objects.filter(pk=only.pk).exists()

    # With an authenticator app beside it, it can go.
    give_authenticator(cast.bob)
    client.post(f"/account/security/passkeys/{only.pk}/remove/")
    assert not StaffPasskey.objects.filter(pk=only.pk).exists()
    assert second_factor.enrolled(cast.bob)


def test_a_reset_removes_passkeys_too(cast, client_for):
    give_passkey(cast.bob)
    give_authenticator(cast.bob)
    client = fresh(client_for, cast.alice)
    client.post(f"/staff/{cast.bob.pk}/second-factor/reset/", {"reason": "left"})
    assert not StaffPasskey.objects.filter(user=cast.bob).exists()
    event = AuditEvent.objects.get(action="staff.second_factor_reset")
    assert event.before == {"methods": ["authenticator app", "1 passkey"]}


def test_options_are_given_only_to_a_sign_in_under_way(cast):
    give_passkey(cast.bob)
    assert Client().post("/login/second-factor/passkey-options/").status_code == 403
    client = Client()
    client.post("/login/", {"username": cast.bob.email, "password": PASSWORD})
    response = client.post("/login/second-factor/passkey-options/")
    assert response.status_code == 200
    options = response.json()
    assert (
        options["allowCredentials"]
        == [{"id": "cred-" + str(cast.bob.pk) + "-Desk key", "type": "public-key"}]
        or len(options["allowCredentials"]) == 1
    )
    assert options["rpId"] == "testserver"


def test_a_made_up_answer_is_refused_and_counted(cast):
    key = give_passkey(cast.bob)
    client = Client()
    client.post("/login/", {"username": cast.bob.email, "password": PASSWORD})
    client.post("/login/second-factor/passkey-options/")
    forged = json.dumps(
        {
            "id": key.credential_id,
            "rawId": key.credential_id,
            "type": "public-key",
            "response": {
                "clientDataJSON": "e30",
                "authenticatorData": "AAAA",
                "signature": "AAAA",
            },
        }
    )
    response = client.post("/login/second-factor/", {"credential": forged})
    assert "was not accepted" in response.content.decode()
    assert client.get("/").status_code == 302
    failed = AuditEvent.objects.get(action="staff.second_factor_failed")
    assert failed.after == {"method": "passkey", "purpose": "sign_in"}


def test_adding_a_made_up_key_is_refused(cast, client_for):
    client = fresh(client_for, cast.bob)
    client.post("/account/security/passkeys/options/")
    response = client.post(
        "/account/security/passkeys/",
        {"name": "fake", "credential": '{"id": "x"}'},
        follow=True,
    )
    assert "was not accepted" in response.content.decode()
    assert not StaffPasskey.objects.filter(user=cast.bob).exists()
