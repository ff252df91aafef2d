"""Each partner's email goes out under its own sender, and comes back (bounces)
to an address of its own."""

from csrtool.conftest import run_jobs
from csrtool.onboarding.tests.test_welcome_email import create_ann


def brand(partner, sender, support):
    partner.sender_name = f"{partner.name} Onboarding"
    partner.sender_email = sender
    partner.support_email = support
    partner.save()


def sent_for(smtpd, address):
    """The message to an address and the envelope sender it came with."""
    [(envelope, message)] = [
        (e, m)
        for e, m in zip(smtpd.envelopes, smtpd.messages, strict=True)
        if address in e.rcpt_tos
    ]
    return envelope.mail_from, message


def test_each_partners_bounces_come_back_to_its_own_address(
    cast, actor_of, smtpd, settings
):
    settings.EMAIL_BOUNCE_ADDRESS = "bounces@mail.example"
    brand(cast.acme, "welcome@acme.example", "help@acme.example")
    brand(cast.globex, "hello@globex.example", "care@globex.example")
    create_ann(actor_of(cast.bob))
    create_ann(
        actor_of(cast.charlie),
        email="ann@globex-customer.example",
        phone="+442079460001",
        time_zone="Europe/London",
    )
    run_jobs()

    acme_from, acme = sent_for(smtpd, "ann@customer.example")
    globex_from, globex = sent_for(smtpd, "ann@globex-customer.example")
    assert acme_from == "bounces+acme@mail.example"
    assert globex_from == "bounces+globex@mail.example"
    assert acme["From"] == "Acme Telecom Onboarding <welcome@acme.example>"
    assert globex["From"] == "Globex Voice Onboarding <hello@globex.example>"
    assert acme["Reply-To"] == "help@acme.example"
    assert globex["Reply-To"] == "care@globex.example"


def test_without_a_bounce_address_the_partners_sender_takes_them(
    cast, actor_of, smtpd, settings
):
    settings.EMAIL_BOUNCE_ADDRESS = ""
    settings.DEFAULT_FROM_EMAIL = "noreply@csr.example"
    brand(cast.acme, "welcome@acme.example", "")
    create_ann(actor_of(cast.bob))
    create_ann(
        actor_of(cast.charlie),
        email="ann@globex-customer.example",
        phone="+442079460001",
        time_zone="Europe/London",
    )
    run_jobs()

    acme_from, acme = sent_for(smtpd, "ann@customer.example")
    globex_from, globex = sent_for(smtpd, "ann@globex-customer.example")
    assert acme_from == "welcome@acme.example"
    assert globex_from == "noreply@csr.example"
    assert globex["From"] == "Globex Voice <noreply@csr.example>"
    assert acme["Reply-To"] is None
