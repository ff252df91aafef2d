import pytest
from django.test import Client

from csrtool.audit.models import AuditEvent
from csrtool.errors import PermissionDenied
from csrtool.onboarding import hashing
from csrtool.onboarding.models import EmailKind, OutboundEmail, SubscriberCredentials
from csrtool.portal import auth, services
from csrtool.portal.tests.conftest import (
    SAM_ANSWER,
    SAM_PASSWORD,
    SAM_PIN,
    deliver_all,
    portal_client,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "saffron lighthouse gravel"


def post(client, form, **data):
    prefix = {
        "time_zone": "tz",
        "password": "pw",
        "pin": "pin",
        "security_question": "sq",
        "email": "em",
    }[form]
    fields = {f"{prefix}-{key}": value for key, value in data.items()}
    return client.post("/portal/settings/", {"form": form, **fields}, follow=True)


def credentials(subscriber):
    return SubscriberCredentials.objects.get(subscriber=subscriber)


def no_secret_in_audit():
    for event in AuditEvent.objects.all():
        text = f"{event.before} {event.after} {event.reason}"
        for secret in (SAM_PASSWORD, NEW_PASSWORD, SAM_PIN, "740261", SAM_ANSWER):
            assert secret not in text


def test_the_account_page_shows_the_subscribers_details(sam, sam_client):
    page = sam_client.get("/portal/").content.decode()
    for text in (sam.public_id, "Sam", "Sample", sam.email, "America/New_York"):
        assert text in page
    assert "M/d/yy" in page


def test_the_account_page_speaks_of_the_partners_product_only(sam, sam_client):
    sam.partner.product_name = "Acme Voice"
    sam.partner.save(update_fields=["product_name"])
    page = sam_client.get("/portal/").content.decode()
    assert "Your Acme Voice account" in page
    assert "No Acme Voice features are enabled" in page
    assert "CX Builder" not in page


def test_changing_the_time_zone_changes_the_date_format(sam, sam_client):
    page = post(sam_client, "time_zone", time_zone="Europe/Berlin").content.decode()
    assert "Your time zone is saved" in page
    sam.refresh_from_db()
    assert sam.time_zone == "Europe/Berlin"
    assert "dd.MM.yy" in page
    event = AuditEvent.objects.get(action="subscriber.updated")
    assert event.before == {"time_zone": "America/New_York"}
    assert event.after == {"time_zone": "Europe/Berlin"}
    assert (event.actor_kind, event.channel) == ("subscriber", "portal")


def test_an_unknown_time_zone_is_refused_next_to_the_field(sam, sam_client):
    page = post(sam_client, "time_zone", time_zone="Mars/Olympus").content.decode()
    assert "is not a time zone" in page
    assert 'id="id_tz-time_zone_error"' in page
    sam.refresh_from_db()
    assert sam.time_zone == "America/New_York"


def test_changing_the_password_needs_the_current_one(sam, sam_client):
    page = post(
        sam_client,
        "password",
        current_password="not my password",
        new_password=NEW_PASSWORD,
        new_password_again=NEW_PASSWORD,
    ).content.decode()
    assert services.NOT_CURRENT in page
    assert hashing.check_password(credentials(sam).password_hash, SAM_PASSWORD)
    assert AuditEvent.objects.filter(
        action="portal.password_check", outcome="failure"
    ).exists()


def test_a_wrong_current_password_counts_toward_the_lockout(sam, sam_client):
    for _ in range(10):
        post(
            sam_client,
            "pin",
            current_password="guess",
            new_pin="740261",
            new_pin_again="740261",
        )
    refused = Client().post(
        "/portal/login/", {"email": sam.email, "password": SAM_PASSWORD}
    )
    assert auth.LOGIN_REFUSED in refused.content.decode()


def test_changing_the_password_ends_other_sessions_but_not_this_one(sam, sam_client):
    other = portal_client(sam)
    page = post(
        sam_client,
        "password",
        current_password=SAM_PASSWORD,
        new_password=NEW_PASSWORD,
        new_password_again=NEW_PASSWORD,
    ).content.decode()
    assert "Your password is changed" in page
    assert sam_client.get("/portal/").status_code == 200
    assert other.get("/portal/").status_code == 302
    assert hashing.check_password(credentials(sam).password_hash, NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="portal.password_changed").exists()
    no_secret_in_audit()


def test_a_password_change_is_announced_by_email(sam, sam_client):
    post(
        sam_client,
        "password",
        current_password=SAM_PASSWORD,
        new_password=NEW_PASSWORD,
        new_password_again=NEW_PASSWORD,
    )
    [message] = deliver_all()
    assert message.to == [sam.email]
    assert "password was changed" in message.subject
    assert NEW_PASSWORD not in message.body


@pytest.mark.parametrize(
    "password, message",
    [
        ("short one", "too short"),
        ("password1234", "too common"),
        ("x" * 129, "at most 128"),
    ],
)
def test_a_new_password_follows_the_password_policy(sam, sam_client, password, message):
    page = post(
        sam_client,
        "password",
        current_password=SAM_PASSWORD,
        new_password=password,
        new_password_again=password,
    ).content.decode()
    assert message in page
    assert hashing.check_password(credentials(sam).password_hash, SAM_PASSWORD)


def test_the_two_new_passwords_must_match(sam, sam_client):
    page = post(
        sam_client,
        "password",
        current_password=SAM_PASSWORD,
        new_password=NEW_PASSWORD,
        new_password_again=NEW_PASSWORD + "!",
    ).content.decode()
    assert "The two new passwords differ." in page


def test_changing_the_pin(sam, sam_client):
    page = post(
        sam_client,
        "pin",
        current_password=SAM_PASSWORD,
        new_pin="740261",
        new_pin_again="740261",
    ).content.decode()
    assert "Your PIN is changed." in page
    assert hashing.check_pin(credentials(sam).pin_hash, "740261")
    assert AuditEvent.objects.filter(action="portal.pin_changed").exists()
    no_secret_in_audit()


@pytest.mark.parametrize(
    "pin, message",
    [
        ("12345", "6 to 8 digits"),
        ("123456789", "6 to 8 digits"),
        ("12a456", "6 to 8 digits"),
        ("١٢٣٤٥٦", "6 to 8 digits"),
        ("777777", "one digit repeated"),
        ("345678", "straight run"),
        ("876543", "straight run"),
    ],
)
def test_a_new_pin_follows_the_pin_policy(sam, sam_client, pin, message):
    page = post(
        sam_client, "pin", current_password=SAM_PASSWORD, new_pin=pin, new_pin_again=pin
    ).content.decode()
    assert message in page
    assert hashing.check_pin(credentials(sam).pin_hash, SAM_PIN)


def test_changing_the_security_question(sam, sam_client):
    page = post(
        sam_client,
        "security_question",
        current_password=SAM_PASSWORD,
        question="own",
        own_question="Which city was my grandmother born in?",
        answer="Lisbon",
    ).content.decode()
    assert "Your security question is changed." in page
    creds = credentials(sam)
    assert creds.security_question == "Which city was my grandmother born in?"
    assert hashing.check_answer(creds.security_answer_hash, "  lisbon ")
    no_secret_in_audit()
    assert "Lisbon" not in str(
        AuditEvent.objects.get(action="portal.security_question_changed").after
    )


def test_the_security_answer_cannot_be_the_question(sam, sam_client):
    page = post(
        sam_client,
        "security_question",
        current_password=SAM_PASSWORD,
        question="own",
        own_question="What is my favourite colour?",
        answer="What is my favourite colour?",
    ).content.decode()
    assert "cannot be the question itself" in page


def test_only_the_account_holder_can_change_the_account(sam, gus, actor_of, cast):
    gus_actor = auth.subscriber_actor(gus)
    with pytest.raises(PermissionDenied):
        services.change_time_zone(actor=gus_actor, subscriber=sam, time_zone="UTC")
    with pytest.raises(PermissionDenied):
        services.change_time_zone(
            actor=actor_of(cast.bob), subscriber=sam, time_zone="UTC"
        )


def test_the_settings_page_never_shows_a_secret(sam, sam_client):
    page = sam_client.get("/portal/settings/").content.decode()
    assert "What was the name of your first pet?" in page
    assert SAM_ANSWER not in page and SAM_PIN not in page
    assert not OutboundEmail.objects.filter(kind=EmailKind.PASSWORD_RESET).exists()


def test_the_portal_pages_take_a_handful_of_queries(
    sam, sam_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        assert sam_client.get("/portal/").status_code == 200
    with django_assert_max_num_queries(10):
        assert sam_client.get("/portal/settings/").status_code == 200


def test_another_partners_subscriber_sees_only_their_own_account(sam, gus, sam_client):
    gus_client = portal_client(gus)
    page = gus_client.get("/portal/").content.decode()
    assert gus.public_id in page and sam.public_id not in page
    assert sam.email not in gus_client.get("/portal/settings/").content.decode()
