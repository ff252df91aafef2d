"""What customers receive over real SMTP: the partner's own wording when it has
one, inside the partner's frame (sender, support contact, footer links), and
exactly the built-in email when it has none. A partner admin's test goes through
the same outbox, to their own address only."""

import pytest

from csrtool.audit.models import AuditEvent
from csrtool.conftest import run_jobs
from csrtool.errors import DomainError
from csrtool.onboarding.email_templates import services
from csrtool.onboarding.models import EmailStatus, OutboundEmail
from csrtool.onboarding.services import enqueue_email, resend_welcome
from csrtool.onboarding.tests.test_welcome_email import create_ann
from csrtool.onboarding.tests.test_welcome_email import (
    text_and_html as received,
)
from csrtool.partners.access import cli_actor


def text_and_html(message):
    text, html = received(message)
    return text.replace("\r\n", "\n"), html.replace("\r\n", "\n")


ACME_WELCOME = {
    "subject": "{{ first_name }}, your {{ product_name }} line is ready",
    "text": "Hi {{ first_name }} {{ last_name }}!\n\nActivate: {{ link }}\n"
    "Expires {{ expires_at }}.\n",
    "html": '<h1 style="color:{{ brand_colour }}">Hi {{ first_name }}!</h1>'
    '<p><a href="{{ link }}">Activate {{ product_name }}</a></p>',
}


@pytest.fixture
def branded(cast):
    for partner, sender in ((cast.acme, "hello@acme.example"), (cast.globex, "")):
        partner.sender_name = f"{partner.name} Team"
        partner.sender_email = sender
        partner.support_email = f"help@{partner.slug}.example"
        partner.terms_url = f"https://{partner.slug}.example/terms"
        partner.save()
    return cast


def test_a_custom_template_goes_out_and_a_partner_without_one_gets_the_built_in(
    branded, smtpd, actor_of
):
    cast = branded
    cast.acme.product_name = "Acme <Voice> & Co"
    cast.acme.brand_primary = "#1d5c2e"
    cast.acme.save()
    services.save_template(
        actor=actor_of(cast.alice), slug="acme", kind="welcome", **ACME_WELCOME
    )
    create_ann(actor_of(cast.bob), first_name="Ann", last_name="O'Hara & Sons")
    create_ann(
        actor_of(cast.charlie),
        email="ann@globex-customer.example",
        phone="+442079460001",
        time_zone="Europe/London",
    )
    run_jobs()

    [acme] = smtpd.to("ann@customer.example")
    text, html = text_and_html(acme)
    assert acme["Subject"] == "Ann, your Acme <Voice> & Co line is ready"
    assert acme["From"] == "Acme Telecom Team <hello@acme.example>"
    assert text.startswith("Hi Ann O'Hara & Sons!\n\nActivate: http://127.0.0.1")
    assert "/welcome/" in text and "Expires " in text
    # The frame stays: support contact, signature, footer links.
    assert "Questions? Contact Acme Telecom Team support: help@acme.example" in text
    assert "Acme Telecom Team · Acme <Voice> & Co" in text
    assert "Terms of service: https://acme.example/terms" in text
    assert '<h1 style="color:#1d5c2e">Hi Ann!</h1>' in html
    assert ">Activate Acme &lt;Voice&gt; &amp; Co</a>" in html
    assert 'href="https://acme.example/terms"' in html
    assert "<title>Ann, your Acme &lt;Voice&gt; &amp; Co line is ready</title>" in html
    assert "Set up my account" not in html

    [globex] = smtpd.to("ann@globex-customer.example")
    text, html = text_and_html(globex)
    assert globex["Subject"] == "Welcome to CX Builder: set up your account"
    assert text.startswith("Hello Ann Archer,\n\nGlobex Voice Team has created")
    assert "Terms of service: https://globex.example/terms" in text
    assert (
        "Set up my account" in html and "<title>Welcome to CX Builder</title>" in html
    )
    assert "line is ready" not in text + html


def test_a_value_cannot_bring_a_javascript_link_into_the_html(branded, smtpd, actor_of):
    cast = branded
    services.save_template(
        actor=actor_of(cast.alice),
        slug="acme",
        kind="welcome",
        **{**ACME_WELCOME, "html": '<a href="{{ product_name }}">{{ link }}</a>'},
    )
    cast.acme.product_name = "javascript:alert(1)"
    cast.acme.save()
    create_ann(actor_of(cast.bob))
    run_jobs()

    [message] = smtpd.messages
    _, html = text_and_html(message)
    assert 'href="javascript' not in html
    assert "<a>http://127.0.0.1:8000/welcome/" in html


def test_every_kind_uses_the_partners_own_wording(branded, smtpd, actor_of):
    cast = branded
    services.save_template(
        actor=actor_of(cast.alice),
        slug="acme",
        kind="pin_changed",
        subject="PIN changed for {{ login_id }}",
        text="{{ first_name }}, your PIN changed on {{ changed_at }}.",
        html="<p>{{ first_name }}, your PIN changed on {{ changed_at }}.</p>",
    )
    enqueue_email(
        subscriber=cast.sam,
        kind="pin_changed",
        actor=actor_of(cast.bob),
        context={"changed_at": "2026-03-04T05:06:07+00:00"},
    )
    run_jobs()
    [message] = smtpd.messages
    text, html = text_and_html(message)
    assert message["Subject"] == "PIN changed for sam@customer.example"
    assert text.startswith("Sam, your PIN changed on 3/4/26 00:06 EST.\n")
    assert "<p>Sam, your PIN changed on 3/4/26 00:06 EST.</p>" in html


def test_send_a_test_to_me_goes_through_the_outbox_to_my_own_address(
    branded, smtpd, actor_of
):
    cast = branded
    draft = {
        **ACME_WELCOME,
        "subject": "Trying: {{ first_name }} at {{ product_name }}",
    }
    email = services.send_test(
        actor=actor_of(cast.alice), slug="acme", kind="welcome", draft=draft
    )
    assert email.sample and email.subscriber is None
    assert email.recipient == "alice@acme.example"
    run_jobs()

    [message] = smtpd.messages
    assert message["To"] == "alice@acme.example"
    assert message["Subject"] == "Trying: Alex at CX Builder"
    assert message["From"] == "Acme Telecom Team <hello@acme.example>"
    text, html = text_and_html(message)
    assert "Hi Alex Sample!" in text
    assert "http://127.0.0.1:8000/welcome/sample-link/" in text
    assert "Terms of service: https://acme.example/terms" in text
    assert '<h1 style="color:#1f4e9c">Hi Alex!</h1>' in html
    assert OutboundEmail.objects.get(pk=email.pk).status == EmailStatus.SENT
    # Nothing was saved: customers still get the built-in email.
    assert not services.get_template(
        actor=actor_of(cast.alice), slug="acme", kind="welcome"
    ).custom
    event = AuditEvent.objects.get(action="email_template.test_sent")
    assert event.after["recipient"] == "alice@acme.example"
    assert event.after["wording"] == "as typed"
    assert event.actor_label == "alice@acme.example"


def test_a_test_of_the_saved_wording_and_no_test_without_an_address(
    branded, smtpd, actor_of
):
    cast = branded
    services.save_template(
        actor=actor_of(cast.gina), slug="globex", kind="welcome", **ACME_WELCOME
    )
    services.send_test(actor=actor_of(cast.gina), slug="globex", kind="welcome")
    with pytest.raises(DomainError, match="your own email address"):
        services.send_test(actor=cli_actor(), slug="globex", kind="welcome")
    run_jobs()
    [message] = smtpd.messages
    assert message["To"] == "gina@globex.example"
    assert message["Subject"] == "Alex, your CX Builder line is ready"


def test_a_test_refused_by_the_checks_sends_nothing(branded, smtpd, actor_of):
    with pytest.raises(DomainError):
        services.send_test(
            actor=actor_of(branded.alice),
            slug="acme",
            kind="welcome",
            draft={**ACME_WELCOME, "text": "{{ partner.api_key }}"},
        )
    run_jobs()
    assert smtpd.messages == []
    assert not OutboundEmail.objects.filter(sample=True).exists()


def test_no_value_can_add_a_header_through_the_subject(branded, smtpd, actor_of):
    services.save_template(
        actor=actor_of(branded.alice), slug="acme", kind="welcome", **ACME_WELCOME
    )
    # Written past the checks (an old row, a direct import): still one line.
    branded.sam.first_name = "Sam\r\nBcc: thief@evil.example"
    branded.sam.save()
    enqueue_email(
        subscriber=branded.sam, kind="pin_changed", actor=actor_of(branded.bob)
    )
    resend_welcome(actor=actor_of(branded.bob), public_id=branded.sam.public_id)
    run_jobs()
    assert len(smtpd.messages) == 2
    welcome = next(m for m in smtpd.messages if "line is ready" in m["Subject"])
    assert welcome["Subject"] == (
        "Sam Bcc: thief@evil.example, your CX Builder line is ready"
    )
    assert welcome["Bcc"] is None
    assert all(e.rcpt_tos == ["sam@customer.example"] for e in smtpd.envelopes)


def test_tests_are_limited_to_twenty_an_hour_per_member_of_staff(
    branded, smtpd, actor_of
):
    alice = actor_of(branded.alice)
    for _ in range(20):
        services.send_test(actor=alice, slug="acme", kind="pin_changed")
    with pytest.raises(DomainError, match="20 tests in the last hour") as caught:
        services.send_test(actor=alice, slug="acme", kind="pin_changed")
    assert caught.value.status == 429
    # Another admin's tests are counted apart.
    services.send_test(actor=actor_of(branded.gina), slug="globex", kind="welcome")
    assert OutboundEmail.objects.filter(sample=True).count() == 21
