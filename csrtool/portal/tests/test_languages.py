"""A subscriber's pages and emails speak the subscriber's language; pages opened
before anyone is known speak the browser's (else the partner's default); the
CSR console stays in English."""

import pytest
from django.test import Client
from django.utils import translation

from csrtool.audit.models import AuditEvent
from csrtool.onboarding.email_templates import services as template_services
from csrtool.onboarding.email_templates.rules import built_in
from csrtool.onboarding.services import resend_welcome
from csrtool.partners.access import staff_actor
from csrtool.portal.tests.conftest import deliver_all, link_in, portal_client

pytestmark = pytest.mark.django_db


def spanish(text: str) -> str:
    """`text` in Spanish, from the catalogue (a missing translation fails)."""
    with translation.override("es"):
        translated = translation.gettext(text)
    assert translated != text, f"no Spanish for {text!r}"
    return translated


def speak(subscriber, language):
    subscriber.language = language
    subscriber.save(update_fields=["language"])


def settings_post(client, **data):
    fields = {f"lang-{key}": value for key, value in data.items()}
    return client.post("/portal/settings/", {"form": "language", **fields}, follow=True)


def test_the_portal_speaks_the_subscribers_language(sam, sam_client):
    speak(sam, "es")
    response = sam_client.get("/portal/")
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert response["Content-Language"] == "es"
    assert spanish("Subscriber ID") in page
    assert spanish("Account Settings") in page  # the menu
    assert ">Subscriber ID<" not in page
    # The date format is still the time zone's.
    assert "M/d/yy" in page


def test_a_subscriber_changes_their_language_in_account_settings(sam, sam_client):
    page = sam_client.get("/portal/settings/").content.decode()
    assert '<option value="es">Español</option>' in page

    page = settings_post(sam_client, language="es").content.decode()

    sam.refresh_from_db()
    assert sam.language == "es"
    # The confirmation and the page already speak it.
    assert spanish("Your language is saved; your pages and emails use it.") in page
    assert '<html lang="es">' in page
    event = AuditEvent.objects.get(action="subscriber.updated")
    assert (event.before, event.after) == ({"language": "en"}, {"language": "es"})
    assert event.actor_kind == "subscriber"


def test_a_language_we_do_not_speak_is_refused_with_the_choices(sam, sam_client):
    page = settings_post(sam_client, language="fr").content.decode()
    sam.refresh_from_db()
    assert sam.language == "en"
    assert "Select a valid choice" in page
    assert not AuditEvent.objects.filter(action="subscriber.updated").exists()


def test_changes_show_in_the_subscribers_language(sam, sam_client):
    speak(sam, "es")
    page = sam_client.post(
        "/portal/settings/",
        {
            "form": "pin",
            "pin-current_password": "wrong password here",
            "pin-new_pin": "111111",
            "pin-new_pin_again": "111111",
        },
    ).content.decode()
    assert spanish("A PIN cannot be one digit repeated, like 111111.") in page


def test_the_sign_in_page_speaks_the_browsers_language():
    spanish_browser = Client(headers={"accept-language": "es-MX,es;q=0.9,en;q=0.5"})
    response = spanish_browser.get("/portal/login/")
    assert response["Content-Language"] == "es"
    assert "Accept-Language" in response["Vary"]
    assert spanish("Forgot your password?") in response.content.decode()

    german_browser = Client(headers={"accept-language": "de-DE,de;q=0.9"})
    response = german_browser.get("/portal/login/")
    assert response["Content-Language"] == "en"
    assert "Forgot your password?" in response.content.decode()


def test_on_a_partners_host_the_partners_default_language_is_the_fallback(cast):
    cast.globex.portal_host = "my.globex.example"
    cast.globex.default_language = "es"
    cast.globex.save(update_fields=["portal_host", "default_language"])
    german_browser = Client(
        HTTP_HOST="my.globex.example", headers={"accept-language": "de"}
    )
    page = german_browser.get("/portal/login/").content.decode()
    assert spanish("Forgot your password?") in page
    # An English browser still gets English.
    english_browser = Client(HTTP_HOST="my.globex.example")
    english_browser.defaults["HTTP_ACCEPT_LANGUAGE"] = "en-GB"
    assert "Forgot your password?" in (
        english_browser.get("/portal/login/").content.decode()
    )


def test_after_signing_out_the_browser_remembers_the_language(sam):
    speak(sam, "es")
    client = portal_client(sam)
    client.get("/portal/")
    page = client.post("/portal/logout/", follow=True).content.decode()
    assert spanish("You are signed out.") in page
    assert spanish("Forgot your password?") in page


def test_the_console_stays_in_english_whatever_the_browser(cast, client_for):
    client = client_for(cast.bob)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "es"
    response = client.get("/subscribers/")
    assert '<html lang="en">' in response.content.decode()
    assert "Content-Language" not in response


def test_the_welcome_email_and_page_speak_the_subscribers_language(cast, settings):
    speak(cast.sam, "es")
    resend_welcome(actor=staff_actor(cast.bob), public_id=cast.sam.public_id)
    (message,) = deliver_all()
    subject = built_in("welcome", "es").subject
    assert subject != built_in("welcome", "en").subject
    assert message.subject == subject.replace(
        "{{ product_name }}", cast.acme.product_name
    )
    html = message.alternatives[0][0]
    assert '<html lang="es">' in html
    assert "Hello Sam" not in message.body

    # The welcome page the link opens, for a browser in English.
    page = Client().get(link_in(message)).content.decode()
    assert '<html lang="es">' in page
    assert spanish("Set up my account") in page
    assert spanish("Your PIN, for calls to the phone system") in page


def test_an_english_subscriber_keeps_english_emails(cast):
    resend_welcome(actor=staff_actor(cast.bob), public_id=cast.sam.public_id)
    (message,) = deliver_all()
    assert message.subject.startswith("Welcome to")
    assert "Hello Sam" in message.body


def test_the_partners_template_in_the_subscribers_language_is_used(cast):
    alice = staff_actor(cast.alice)
    fields = {
        "slug": "acme",
        "kind": "welcome",
        "text": "Hola {{ first_name }}: {{ link }}",
        "html": "<p>Hola {{ first_name }}: <a href='{{ link }}'>entrar</a></p>",
    }
    template_services.save_template(
        actor=alice, subject="Acme en español", language="es", **fields
    )
    template_services.save_template(
        actor=alice, subject="Acme in English", language="en", **fields
    )
    speak(cast.sam, "es")
    resend_welcome(actor=staff_actor(cast.bob), public_id=cast.sam.public_id)
    (message,) = deliver_all()
    assert message.subject == "Acme en español"
    assert message.body.startswith("Hola Sam: ")
