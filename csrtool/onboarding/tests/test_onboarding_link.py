"""The welcome link: random, hashed, single use, expiring, revocable."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from csrtool.conftest import run_jobs
from csrtool.onboarding import services
from csrtool.onboarding.models import EmailLink, OutboundEmail, SubscriberCredentials
from csrtool.onboarding.tests.conftest import GOOD, issue_link
from csrtool.subscribers.models import Status


def url(token):
    return f"/welcome/{token}/"


def complete(token, **overrides):
    return services.complete_onboarding(token=token, **{**GOOD, **overrides})


def test_the_token_has_256_random_bits_and_only_its_hash_is_stored(cast, sam_token):
    link = EmailLink.objects.get(subscriber=cast.sam)
    assert len(sam_token) == 43
    assert sam_token not in link.token_hash
    assert len(link.token_hash) == 64
    email = OutboundEmail.objects.get(subscriber=cast.sam)
    assert sam_token not in str(email.__dict__)


def test_opening_the_link_shows_the_form_and_does_not_use_it_up(cast, sam_token):
    client = Client()
    for _ in range(2):
        response = client.get(url(sam_token))
        assert response.status_code == 200
        assert "Set up your CX Builder account" in response.content.decode()
        assert "sam@customer.example" in response.content.decode()
    assert EmailLink.objects.get(subscriber=cast.sam).consumed_at is None
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_link_works_once(cast, sam_token):
    complete(sam_token)
    with pytest.raises(services.LinkUnusable):
        complete(sam_token)
    response = Client().post(url(sam_token), GOOD)
    assert response.status_code == 410
    assert "This link no longer works" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submits_one_wins(cast, sam_token):
    barrier = threading.Barrier(2)
    outcomes = []

    def submit():
        try:
            barrier.wait()
            complete(sam_token)
            outcomes.append("activated")
        except services.LinkUnusable:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["activated", "refused"]
    assert SubscriberCredentials.objects.filter(subscriber=cast.sam).count() == 1
    cast.sam.refresh_from_db()
    assert cast.sam.status == Status.ACTIVE


def test_the_link_works_until_one_second_before_it_expires(cast, actor_of):
    created = timezone.now()
    token = issue_link(actor_of(cast.bob), cast.sam, now=created)
    expiry = created + timedelta(hours=72)
    with mock.patch(
        "django.utils.timezone.now", return_value=expiry - timedelta(seconds=1)
    ):
        assert Client().get(url(token)).status_code == 200
    complete(token, now=expiry - timedelta(seconds=1))
    cast.sam.refresh_from_db()
    assert cast.sam.status == Status.ACTIVE


def test_the_link_stops_working_one_second_after_it_expires(cast, actor_of):
    created = timezone.now()
    token = issue_link(actor_of(cast.bob), cast.sam, now=created)
    expiry = created + timedelta(hours=72)
    with mock.patch(
        "django.utils.timezone.now", return_value=expiry + timedelta(seconds=1)
    ):
        response = Client().get(url(token))
    assert response.status_code == 410
    assert "Email me a new link" in response.content.decode()
    with pytest.raises(services.LinkUnusable):
        complete(token, now=expiry + timedelta(seconds=1))
    cast.sam.refresh_from_db()
    assert cast.sam.status == Status.PENDING_ACTIVATION


def test_the_partner_sets_how_long_links_last(cast, actor_of):
    cast.acme.link_expiry_hours = 24
    cast.acme.save()
    created = timezone.now()
    token = issue_link(actor_of(cast.bob), cast.sam, now=created)
    with pytest.raises(services.LinkUnusable):
        complete(token, now=created + timedelta(hours=24, seconds=1))


def test_a_resend_revokes_older_links(cast, actor_of, sam_token):
    services.resend_welcome(actor=actor_of(cast.bob), public_id=cast.sam.public_id)
    newest = OutboundEmail.objects.filter(subscriber=cast.sam).latest("id")
    assert Client().get(url(sam_token)).status_code == 410
    with pytest.raises(services.LinkUnusable):
        complete(sam_token)
    from csrtool.onboarding import links

    complete(links.token_from_seed(newest.link_seed))
    cast.sam.refresh_from_db()
    assert cast.sam.status == Status.ACTIVE


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t[:-1],
        lambda t: t + "x",
        lambda t: t.upper(),
        lambda t: "x" * 43,
    ],
)
def test_a_tampered_token_is_refused_like_an_unknown_one(cast, sam_token, tamper):
    response = Client().get(url(tamper(sam_token)))
    assert response.status_code == 404
    assert "This link no longer works" in response.content.decode()
    response = Client().post(url(tamper(sam_token)), GOOD)
    assert response.status_code == 404
    assert not SubscriberCredentials.objects.exists()


def test_a_link_of_a_suspended_account_does_not_activate_it(cast, sam_token):
    cast.sam.status = Status.SUSPENDED
    cast.sam.save()
    with pytest.raises(services.LinkUnusable):
        complete(sam_token)
    cast.sam.refresh_from_db()
    assert cast.sam.status == Status.SUSPENDED


def page_text(response):
    import re

    html = response.content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_asking_for_a_new_link_answers_the_same_for_known_and_unknown_addresses(
    cast, sam_token
):
    known = Client().post("/welcome/new-link/", {"email": "sam@customer.example"})
    unknown = Client().post("/welcome/new-link/", {"email": "nobody@nowhere.example"})
    active = Client().post("/welcome/new-link/", {"email": "gus@other.example"})
    assert known.status_code == unknown.status_code == active.status_code == 200
    assert page_text(known) == page_text(unknown) == page_text(active)
    assert "Check your email" in page_text(known)
    run_jobs()
    emails = OutboundEmail.objects.filter(subscriber=cast.sam)
    assert emails.count() == 2
    assert Client().get(url(sam_token)).status_code == 410, "the old link is revoked"


def test_a_new_link_is_only_sent_to_accounts_waiting_for_activation(cast, sam_token):
    complete(sam_token)
    Client().post("/welcome/new-link/", {"email": "SAM@customer.example"})
    run_jobs()
    assert OutboundEmail.objects.filter(subscriber=cast.sam).count() == 1


def test_asking_for_new_links_is_limited_per_address(cast, sam_token):
    for _ in range(5):
        response = Client().post(
            "/welcome/new-link/", {"email": "sam@customer.example"}
        )
        assert response.status_code == 200
    run_jobs()
    assert OutboundEmail.objects.filter(subscriber=cast.sam).count() == 1 + 3


def test_asking_for_new_links_is_limited_per_client_address(cast):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for i in range(10):
        response = client.post("/welcome/new-link/", {"email": f"n{i}@x.example"})
        assert response.status_code == 200
    response = client.post("/welcome/new-link/", {"email": "sam@customer.example"})
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    run_jobs()
    assert OutboundEmail.objects.filter(subscriber=cast.sam).count() == 0
    other = Client(REMOTE_ADDR="203.0.113.10")
    assert (
        other.post("/welcome/new-link/", {"email": "sam@customer.example"}).status_code
        == 200
    )


def test_the_limits_reset_after_an_hour(cast):
    now = timezone.now()
    for _ in range(3):
        services.request_new_link(email="sam@customer.example", now=now)
    services.request_new_link(email="sam@customer.example", now=now)
    run_jobs()
    assert OutboundEmail.objects.filter(subscriber=cast.sam).count() == 3
    services.request_new_link(
        email="sam@customer.example", now=now + timedelta(hours=1, seconds=1)
    )
    run_jobs()
    assert OutboundEmail.objects.filter(subscriber=cast.sam).count() == 4
