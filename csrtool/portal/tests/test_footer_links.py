"""A partner's footer links (terms, privacy, support): set by its admin, only web
addresses a customer may safely be sent to, shown on its customers' pages and
in its emails, and on no other partner's."""

import pytest
from django.test import Client

from csrtool.errors import ValidationFailed
from csrtool.onboarding.services import resend_welcome
from csrtool.partners.access import staff_actor
from csrtool.partners.services import update_partner
from csrtool.portal.tests.conftest import deliver_all, link_in

TERMS = "https://acme-voice.example/terms?lang=en&v=2"
PRIVACY = "https://acme-voice.example/privacy"


@pytest.fixture
def acme_links(cast):
    update_partner(
        actor=staff_actor(cast.alice),
        slug="acme",
        terms_url=TERMS,
        privacy_url=PRIVACY,
    )
    cast.acme.refresh_from_db()
    return cast


def test_only_web_addresses_a_customer_may_be_sent_to_are_kept(cast):
    alice = staff_actor(cast.alice)
    for bad in (
        "javascript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://acme-voice.example/terms",
        "https://user:secret@acme-voice.example/",
        "https://acme voice.example/",
        "https://localhost/terms",
        "https://acme-voice.example:99999/",
        "//acme-voice.example/terms",
        "https://" + "a" * 500 + ".example",
    ):
        with pytest.raises(ValidationFailed) as refused:
            update_partner(actor=alice, slug="acme", support_url=bad)
        assert refused.value.errors == {
            "support_url": ["Support page: enter a web address starting with https://."]
        }, bad
    acme = update_partner(actor=alice, slug="acme", support_url=f" {PRIVACY} ")
    assert acme.support_url == PRIVACY


def test_the_customers_pages_show_their_partners_links_only(acme_links):
    resend_welcome(
        actor=staff_actor(acme_links.bob), public_id=acme_links.sam.public_id
    )
    (message,) = deliver_all()
    welcome = Client().get(link_in(message)).content.decode()
    assert 'href="https://acme-voice.example/terms?lang=en&amp;v=2"' in welcome
    assert ">Terms of service</a>" in welcome and ">Privacy</a>" in welcome
    assert ">Support</a>" not in welcome  # not set
    # Globex's customer sees none of Acme's links.
    resend_welcome(
        actor=staff_actor(acme_links.charlie), public_id=acme_links.gus.public_id
    )
    (other,) = deliver_all()
    assert "acme-voice.example" not in Client().get(link_in(other)).content.decode()


def test_the_partners_emails_carry_its_links(acme_links):
    resend_welcome(
        actor=staff_actor(acme_links.bob), public_id=acme_links.sam.public_id
    )
    (message,) = deliver_all()
    assert f"Terms of service: {TERMS}" in message.body
    assert f"Privacy: {PRIVACY}" in message.body
    html = message.alternatives[0][0]
    assert 'href="https://acme-voice.example/terms?lang=en&amp;v=2"' in html
