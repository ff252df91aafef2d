import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from csrtool.audit.models import AuditEvent
from csrtool.conftest import assert_accessible, make_subscriber
from csrtool.errors import Conflict, NotFound, PermissionDenied
from csrtool.numberpool.models import NumberAssignment, NumberStatus, PhoneNumber
from csrtool.numberpool.self_service import claim_number, release_number
from csrtool.numberpool.tests.make import make_number
from csrtool.onboarding.models import SubscriberCredentials
from csrtool.partners.access import subscriber_actor
from csrtool.portal import auth
from csrtool.subscribers.models import Status
from csrtool.tests.answers import page_and_queries


def active(subscriber):
    subscriber.status = Status.ACTIVE
    subscriber.activated_at = timezone.now()
    subscriber.save(update_fields=["status", "activated_at"])
    return subscriber


def portal_client_for(subscriber) -> Client:
    """A client signed in to the portal as `subscriber`, the way a login does."""
    credentials = SubscriberCredentials.objects.create(
        subscriber=active(subscriber),
        password_hash=f"test-only-{subscriber.pk}",
        pin_hash="-",
        security_question="-",
        security_answer_hash="-",
    )
    client = Client()
    session = client.session
    session[auth.SESSION_KEY] = subscriber.pk
    session[auth.HASH_SESSION_KEY] = auth.credentials_digest(credentials)
    session.save()
    return client


def page_of(client, **query) -> str:
    response = client.get(reverse("portal-numbers"), query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def pool(cast):
    return {
        "tollfree": make_number(cast.acme, "8005550100"),
        "local": make_number(cast.acme, "2125550101", number_type="local"),
        "uk": make_number(
            cast.acme,
            "2079460000",
            number="+442079460000",
            country_code="44",
            area_code="20",
            number_type="intl_local",
        ),
        "globex": make_number(cast.globex, "8005550199"),
    }


def test_sam_picks_a_country_then_an_area_code_then_a_number(cast, pool):
    client = portal_client_for(cast.sam)

    first = page_of(client)
    assert "United States (+1)" in first
    assert "United Kingdom (+44)" in first
    assert "Available numbers" not in first

    areas = page_of(client, country="1")
    assert '<option value="800">800</option>' in areas
    assert '<option value="212">212</option>' in areas
    assert '<option value="20">' not in areas

    numbers = page_of(client, country="1", area="800")
    assert "+1 800-555-0100" in numbers
    assert "+1 212-555-0101" not in numbers
    assert "Add Number" in numbers


def test_only_countries_and_areas_with_a_number_to_take_are_offered(cast, pool):
    sara = make_subscriber(cast.acme, email="sara@customer.example")
    # Every number of area 646 is taken.
    make_number(
        cast.acme, "6465550100", number_type="local", status="assigned", subscriber=sara
    )
    # An area code given longer than another of the same country.
    make_number(
        cast.acme,
        "2071234567",
        number="+442071234567",
        country_code="44",
        area_code="207",
        number_type="intl_local",
    )
    # Germany's only number is aging back to Sam.
    make_number(
        cast.acme,
        "3012345678",
        number="+493012345678",
        country_code="49",
        area_code="30",
        number_type="intl_local",
        status="aging",
        aging_until=timezone.now() + timedelta(days=3),
        previous_subscriber=cast.sam,
    )
    sams, saras = portal_client_for(cast.sam), portal_client_for(sara)

    assert "Germany (+49)" in page_of(sams)
    assert "Germany (+49)" not in page_of(saras)
    assert "United States (+1)" in page_of(saras)
    areas = page_of(sams, country="1")
    assert '<option value="212">' in areas
    assert '<option value="646">' not in areas
    areas = page_of(sams, country="44")
    assert '<option value="20">' in areas
    assert '<option value="207">' in areas
    assert '<option value="30">' in page_of(sams, country="49")


def test_adding_a_number_assigns_it_to_the_subscriber(cast, pool):
    client = portal_client_for(cast.sam)

    response = client.post(
        reverse("portal-number-add"), {"dnis": "8005550100"}, follow=True
    )

    line = PhoneNumber.objects.get(dnis="8005550100")
    assert (line.status, line.subscriber) == (NumberStatus.ASSIGNED, cast.sam)
    assert NumberAssignment.objects.get(number=line).subscriber == cast.sam
    assert "+1 800-555-0100 is now on your account." in response.content.decode()
    event = AuditEvent.objects.get(action="number.assigned", target_id="8005550100")
    assert (event.actor_kind, event.channel, event.actor_label) == (
        "subscriber",
        "portal",
        "sam@customer.example",
    )
    assert event.after["subscriber"] == cast.sam.public_id
    assert event.partner == cast.acme


def test_sams_numbers_are_listed_with_release(cast, pool):
    make_number(
        cast.acme, "8005550111", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )

    page = page_of(portal_client_for(cast.sam))

    assert "+1 800-555-0111" in page
    assert 'aria-label="Release +1 800-555-0111"' in page


@pytest.mark.django_db(transaction=True)
def test_two_subscribers_racing_for_one_number_one_wins(cast, pool):
    sara = active(make_subscriber(cast.acme, email="sara@customer.example"))
    active(cast.sam)
    barrier = threading.Barrier(2)
    outcomes = {}

    def claim(subscriber):
        try:
            barrier.wait()
            claim_number(
                actor=subscriber_actor(subscriber),
                subscriber=subscriber,
                dnis="8005550100",
            )
            outcomes[subscriber.email] = "won"
        except Conflict as e:
            outcomes[subscriber.email] = e.message
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(s,)) for s in (cast.sam, sara)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes.values()) == [
        "That number has just been taken. Choose another one.",
        "won",
    ]
    line = PhoneNumber.objects.get(dnis="8005550100")
    winner = next(email for email, outcome in outcomes.items() if outcome == "won")
    assert line.subscriber.email == winner
    assert NumberAssignment.objects.filter(number=line).count() == 1
    assert AuditEvent.objects.filter(action="number.assigned").count() == 1


def test_a_number_taken_meanwhile_is_refused_with_a_clear_message(cast, pool):
    gina_customer = active(make_subscriber(cast.acme, email="x@customer.example"))
    claim_number(
        actor=subscriber_actor(gina_customer),
        subscriber=gina_customer,
        dnis="8005550100",
    )
    client = portal_client_for(cast.sam)

    response = client.post(
        reverse("portal-number-add"),
        {"dnis": "8005550100", "country": "1", "area": "800"},
        follow=True,
    )

    page = response.content.decode()
    assert "That number has just been taken. Choose another one." in page
    assert "x@customer.example" not in page
    assert PhoneNumber.objects.get(dnis="8005550100").subscriber == gina_customer


def test_releasing_a_number_sends_it_to_aging(cast, pool):
    client = portal_client_for(cast.sam)
    client.post(reverse("portal-number-add"), {"dnis": "8005550100"})
    before = timezone.now()

    response = client.post(
        reverse("portal-number-release"), {"dnis": "8005550100"}, follow=True
    )

    line = PhoneNumber.objects.get(dnis="8005550100")
    assert line.status == NumberStatus.AGING
    assert line.subscriber is None
    assert line.previous_subscriber == cast.sam
    assert line.aging_until >= before + timedelta(days=cast.acme.number_aging_days)
    assert NumberAssignment.objects.get(number=line).released_at is not None
    assert "was released" in response.content.decode()
    event = AuditEvent.objects.get(action="number.unassigned")
    assert (event.actor_kind, event.channel) == ("subscriber", "portal")
    assert event.after["status"] == NumberStatus.AGING


def test_an_aging_number_is_offered_back_only_to_its_last_owner(cast, pool):
    sam = active(cast.sam)
    sara = active(make_subscriber(cast.acme, email="sara@customer.example"))
    claim_number(actor=subscriber_actor(sam), subscriber=sam, dnis="8005550100")
    release_number(actor=subscriber_actor(sam), subscriber=sam, dnis="8005550100")

    assert "+1 800-555-0100" not in page_of(
        portal_client_for(sara), country="1", area="800"
    )
    with pytest.raises(Conflict):
        claim_number(actor=subscriber_actor(sara), subscriber=sara, dnis="8005550100")

    line = claim_number(actor=subscriber_actor(sam), subscriber=sam, dnis="8005550100")
    assert (line.status, line.subscriber) == (NumberStatus.ASSIGNED, sam)


def test_a_subscriber_cannot_release_someone_elses_number(cast, pool):
    make_number(
        cast.acme, "8005550111", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )
    sara = active(make_subscriber(cast.acme, email="sara@customer.example"))

    with pytest.raises(NotFound):
        release_number(actor=subscriber_actor(sara), subscriber=sara, dnis="8005550111")

    assert PhoneNumber.objects.get(dnis="8005550111").subscriber == cast.sam


def test_self_service_off_refuses_with_a_clear_message(cast, pool):
    make_number(
        cast.acme, "8005550111", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )
    cast.acme.self_service_numbers = False
    cast.acme.support_email = "help@acme.example"
    cast.acme.save()
    client = portal_client_for(cast.sam)
    message = (
        "Adding or releasing phone numbers yourself is turned off for your account. "
        "Contact Acme Telecom support at help@acme.example to change your numbers."
    )

    page = page_of(client, country="1", area="800")
    added = client.post(
        reverse("portal-number-add"), {"dnis": "8005550100"}, follow=True
    )
    released = client.post(
        reverse("portal-number-release"), {"dnis": "8005550111"}, follow=True
    )

    assert message in page
    assert "Add Number" not in page and "Release" not in page
    assert "+1 800-555-0111" in page
    assert message in added.content.decode()
    assert message in released.content.decode()
    assert PhoneNumber.objects.get(dnis="8005550100").status == NumberStatus.AVAILABLE
    assert PhoneNumber.objects.get(dnis="8005550111").subscriber == cast.sam
    with pytest.raises(PermissionDenied) as e:
        claim_number(
            actor=subscriber_actor(cast.sam), subscriber=cast.sam, dnis="8005550100"
        )
    assert e.value.message == message


def test_another_partners_numbers_are_never_offered(cast, pool):
    client = portal_client_for(cast.gus)

    page = page_of(client)
    numbers = page_of(client, country="1", area="800")
    response = client.post(
        reverse("portal-number-add"), {"dnis": "8005550100"}, follow=True
    )

    assert "United Kingdom" not in page
    assert "+1 800-555-0100" not in numbers
    assert "+1 800-555-0199" in numbers
    assert "That number is not available. Choose another one." in (
        response.content.decode()
    )
    assert PhoneNumber.objects.get(dnis="8005550100").status == NumberStatus.AVAILABLE


def test_a_member_of_staff_cannot_claim_through_self_service(cast, pool, actor_of):
    with pytest.raises(PermissionDenied):
        claim_number(actor=actor_of(cast.bob), subscriber=cast.sam, dnis="8005550100")


def test_the_page_needs_a_signed_in_subscriber(cast):
    response = Client().get(reverse("portal-numbers"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("portal-login"))


def test_the_page_costs_the_same_queries_for_3_and_30_numbers(cast, pool):
    client = portal_client_for(cast.sam)
    path, query = reverse("portal-numbers"), {"country": "1", "area": "800"}
    client.get(path, query)  # the session and caches warm up
    mine, offered, cost = [], [pool["tollfree"]], {}
    for size in (3, 30):
        for n in range(len(mine), size):
            offered.append(make_number(cast.acme, f"80055502{n:02d}"))
            mine.append(
                make_number(
                    cast.acme,
                    f"21255503{n:02d}",
                    number_type="local",
                    status=NumberStatus.ASSIGNED,
                    subscriber=cast.sam,
                )
            )
        page, cost[size] = page_and_queries(client, path, query)
        assert page.count('aria-label="Release ') == size
        for line in mine:
            assert f'<input type="hidden" name="dnis" value="{line.dnis}">' in page
        assert page.count('<input type="radio" name="dnis"') == size + 1
        for line in offered:
            assert f'id="number-{line.dnis}"' in page
        assert 'id="number-8005550199"' not in page  # Globex's
    assert cost[3] == cost[30]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_adding_and_releasing_a_number_in_the_browser(cast, pool, page):
    from csrtool.portal.tests.conftest import SAM_PASSWORD, activate

    activate(cast.sam)
    page.goto(reverse("portal-login"))
    page.get_by_label("Email").fill(cast.sam.email)
    page.get_by_label("Password").fill(SAM_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login/" not in url)

    page.goto(reverse("portal-numbers"))
    page.get_by_label("Country", exact=True).select_option("1")
    page.get_by_role("button", name="Show area codes").click()
    page.get_by_label("Area Code", exact=True).select_option("800")
    page.get_by_role("button", name="Show numbers").click()
    assert_accessible(page)
    page.get_by_label("+1 800-555-0100").check()
    page.get_by_role("button", name="Add Number").click()
    page.get_by_text("is now on your account").wait_for()
    assert_accessible(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Release +1 800-555-0100").click()
    page.get_by_text("was released").wait_for()

    assert PhoneNumber.objects.get(dnis="8005550100").status == NumberStatus.AGING
