from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from csrtool.audit.models import AuditEvent
from csrtool.errors import Conflict
from csrtool.onboarding.services import LinkUnusable
from csrtool.portal import auth, email_change
from csrtool.portal.tests.conftest import (
    SAM_PASSWORD,
    activate,
    deliver_all,
    link_in,
    portal_client,
)
from csrtool.subscribers.models import Subscriber
from csrtool.tests.races import race

NEW = "sam.new@customer.example"


def request_change(client, new_email=NEW, password=SAM_PASSWORD):
    return client.post(
        "/portal/settings/",
        {"form": "email", "em-current_password": password, "em-new_email": new_email},
        follow=True,
    )


def confirmation_path(client, new_email=NEW) -> str:
    request_change(client, new_email)
    [message] = deliver_all()
    assert message.to == [new_email]
    return link_in(message)


@pytest.mark.django_db
def test_the_login_changes_only_when_the_new_address_confirms(sam, sam_client):
    page = request_change(sam_client).content.decode()
    assert f"We sent a link to {NEW}" in page
    sam.refresh_from_db()
    assert sam.email == "sam@customer.example"
    [message] = deliver_all()
    path = link_in(message)
    shown = Client().get(path)
    assert NEW in shown.content.decode()
    sam.refresh_from_db()
    assert sam.email == "sam@customer.example"
    assert Client().post(path).status_code == 302
    sam.refresh_from_db()
    assert (sam.email, sam.email_canonical) == (NEW, NEW)
    event = AuditEvent.objects.get(action="subscriber.email_changed")
    assert event.before == {"email": "sam@customer.example"}
    assert event.after == {"email": NEW}
    [notice] = deliver_all()
    assert notice.to == ["sam@customer.example"]
    assert "was changed" in notice.subject


@pytest.mark.django_db
def test_after_the_change_sam_signs_in_with_the_new_address(sam, sam_client):
    Client().post(confirmation_path(sam_client))
    assert portal_client(Subscriber.objects.get(pk=sam.pk))
    old = Client().post(
        "/portal/login/", {"email": "sam@customer.example", "password": SAM_PASSWORD}
    )
    assert auth.LOGIN_REFUSED in old.content.decode()
    assert sam_client.get("/portal/").status_code == 200


@pytest.mark.django_db
def test_it_needs_the_current_password(sam, sam_client):
    page = request_change(sam_client, password="wrong").content.decode()
    assert "That is not your current password." in page
    assert deliver_all() == []


@pytest.mark.django_db
def test_an_invalid_address_is_refused(sam, sam_client):
    page = request_change(sam_client, new_email="not an address").content.decode()
    assert "Enter a valid email address" in page


@pytest.mark.django_db
def test_a_taken_address_is_not_revealed_when_asking_but_cannot_be_confirmed(
    sam, sam_client, cast
):
    page = request_change(sam_client, new_email=cast.gus.email).content.decode()
    assert f"We sent a link to {cast.gus.email}" in page
    [message] = deliver_all()
    response = Client().post(link_in(message), follow=True)
    assert "already in use" in response.content.decode()
    sam.refresh_from_db()
    assert sam.email == "sam@customer.example"


@pytest.mark.django_db
def test_the_confirmation_link_works_once(sam, sam_client):
    path = confirmation_path(sam_client)
    Client().post(path)
    assert Client().get(path).status_code == 410
    assert Client().post(path).status_code == 410


@pytest.mark.django_db
def test_the_confirmation_link_expires(sam, sam_client):
    path = confirmation_path(sam_client)
    later = timezone.now() + timedelta(hours=24, seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert Client().post(path).status_code == 410
    sam.refresh_from_db()
    assert sam.email == "sam@customer.example"


@pytest.mark.django_db
def test_a_tampered_confirmation_link_does_not_work(sam, sam_client):
    path = confirmation_path(sam_client)
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = path.replace(token, token[:-2] + "xx")
    assert Client().post(tampered).status_code == 410


@pytest.mark.django_db
def test_a_newer_request_revokes_the_older_link(sam, sam_client):
    first = confirmation_path(sam_client, "first@customer.example")
    confirmation_path(sam_client, "second@customer.example")
    assert Client().post(first).status_code == 410


def confirm_token(message) -> str:
    return link_in(message).rstrip("/").rsplit("/", 1)[1]


def changed_events() -> list:
    return list(AuditEvent.objects.filter(action="subscriber.email_changed"))


def outcome(call):
    """What a confirmation ends in: "ok", or the message it was refused with."""

    def run():
        try:
            call()
        except (Conflict, LinkUnusable) as error:
            return error.message
        return "ok"

    return run


# Both racers find their link usable before either confirms: the pause after
# find_email_change holds each until the other has looked too.
RACE_AFTER_THE_CHECKS = "csrtool.portal.email_change.find_email_change"


@pytest.mark.django_db(transaction=True)
def test_two_accounts_racing_for_one_address_leave_one_owner(cast):
    tokens = []
    for subscriber in (cast.sam, cast.gus):
        activate(subscriber)
        subscriber.refresh_from_db()
        email_change.request_email_change(
            actor=auth.subscriber_actor(subscriber),
            subscriber=subscriber,
            current_password=SAM_PASSWORD,
            new_email="contested@customer.example",
        )
        [message] = deliver_all()
        tokens.append(confirm_token(message))

    outcomes = race(
        *(
            outcome(lambda token=token: email_change.confirm_email_change(token=token))
            for token in tokens
        ),
        pause_after=RACE_AFTER_THE_CHECKS,
    )

    assert sorted(outcomes) == ["This email address is already in use.", "ok"]
    [owner] = Subscriber.objects.filter(email_canonical="contested@customer.example")
    assert owner.pk in (cast.sam.pk, cast.gus.pk)
    assert [e.target_id for e in changed_events()] == [owner.public_id]


@pytest.mark.django_db(transaction=True)
def test_one_link_submitted_twice_at_once_changes_the_login_once(cast):
    activate(cast.sam)
    cast.sam.refresh_from_db()
    email_change.request_email_change(
        actor=auth.subscriber_actor(cast.sam),
        subscriber=cast.sam,
        current_password=SAM_PASSWORD,
        new_email=NEW,
    )
    [message] = deliver_all()
    token = confirm_token(message)

    def confirm():
        return email_change.confirm_email_change(token=token)

    outcomes = race(
        outcome(confirm), outcome(confirm), pause_after=RACE_AFTER_THE_CHECKS
    )

    assert sorted(outcomes) == [LinkUnusable("used").message, "ok"]
    assert Subscriber.objects.get(pk=cast.sam.pk).email == NEW
    assert len(changed_events()) == 1
    [notice] = deliver_all()
    assert notice.to == ["sam@customer.example"]
