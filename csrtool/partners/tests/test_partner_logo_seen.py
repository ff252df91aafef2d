"""Where a partner's customers meet its logo and favicon: the welcome pages, the
portal, every email (as an address on the partner's customer host), and the
settings page's preview; another partner's customers never do."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from csrtool.onboarding import emails
from csrtool.onboarding.models import EmailKind
from csrtool.onboarding.tests.conftest import issue_link
from csrtool.partners import logos
from csrtool.partners.access import staff_actor
from csrtool.partners.tests.images import ico, png
from csrtool.portal.tests.conftest import activate, deliver_all, portal_client


@pytest.fixture
def acme_logo(cast):
    cast.acme.product_name = "Acme Voice"
    cast.acme.save()
    actor = staff_actor(cast.alice)
    logo = logos.set_brand_image(actor=actor, slug="acme", kind="logo", data=png())
    favicon = logos.set_brand_image(
        actor=actor, slug="acme", kind="favicon", data=ico()
    )
    return logo.path, favicon.path


def logo_tag(path, alt="Acme Voice"):
    return f'<img class="brand-logo" src="{path}" alt="{alt}">'


def test_the_welcome_page_shows_the_partners_logo_and_favicon(
    cast, actor_of, acme_logo
):
    logo, favicon = acme_logo
    token = issue_link(actor_of(cast.bob), cast.sam)
    page = Client().get(reverse("onboarding-start", kwargs={"token": token}))
    content = page.content.decode()
    assert logo_tag(logo) in content
    assert f'<link rel="icon" href="{favicon}">' in content

    gus_token = issue_link(actor_of(cast.charlie), cast.gus)
    other = Client().get(reverse("onboarding-start", kwargs={"token": gus_token}))
    other_content = other.content.decode()
    assert "/brand/acme/" not in other_content
    assert '<link rel="icon" href="data:,">' in other_content
    assert '<span class="brand">CX Builder</span>' in other_content


def test_the_portal_shows_the_partners_logo_and_favicon(cast, acme_logo):
    logo, favicon = acme_logo
    activate(cast.sam)
    activate(cast.gus)
    content = portal_client(cast.sam).get("/portal/").content.decode()
    assert logo_tag(logo) in content
    assert f'<link rel="icon" href="{favicon}">' in content
    other = portal_client(cast.gus).get("/portal/").content.decode()
    assert "/brand/acme/" not in other


def test_the_sign_in_page_on_the_partners_host_shows_its_logo(cast, acme_logo):
    logo, favicon = acme_logo
    cast.acme.portal_host = "account.acme-voice.example"
    cast.acme.save()
    on_host = Client().get(
        "/portal/login/", headers={"host": "account.acme-voice.example"}
    )
    assert logo_tag(logo) in on_host.content.decode()
    assert f'<link rel="icon" href="{favicon}">' in on_host.content.decode()
    on_main_host = Client().get("/portal/login/").content.decode()
    assert "/brand/acme/" not in on_main_host


def test_the_welcome_email_shows_the_logo_from_the_partners_customer_host(
    cast, actor_of, acme_logo, settings
):
    logo, _ = acme_logo
    settings.BASE_URL = "https://csr.example"
    cast.acme.portal_host = "account.acme-voice.example"
    cast.acme.save()
    issue_link(actor_of(cast.bob), cast.sam)
    issue_link(actor_of(cast.charlie), cast.gus)
    sent = deliver_all()
    [to_sam] = [m for m in sent if m.to == [cast.sam.email]]
    [to_gus] = [m for m in sent if m.to == [cast.gus.email]]
    html_part = to_sam.alternatives[0].content
    assert (
        f'<img src="https://account.acme-voice.example{logo}" alt="Acme Voice"'
        in html_part
    )
    assert "/brand/" not in to_sam.body  # the plain text has no picture
    assert "/brand/" not in to_gus.alternatives[0].content
    assert mail.outbox


@pytest.mark.parametrize("kind", EmailKind.values)
def test_every_subscriber_email_carries_the_logo(cast, acme_logo, kind, settings):
    logo, _ = acme_logo
    sample = emails.render_sample(
        kind,
        subscriber=cast.sam,
        partner=cast.acme,
        context={
            "link_url": "https://csr.example/link/",
            "expires_at": timezone.now() + timedelta(hours=1),
            "changed_at": timezone.now(),
            "time_zone": cast.sam.time_zone,
            "new_email": "sam.new@customer.example",
        },
    )
    assert f'<img src="{settings.BASE_URL}{logo}" alt="Acme Voice"' in sample["html"]
    plain = emails.render_sample(
        kind, subscriber=cast.gus, partner=cast.globex, context={}
    )
    assert "<img" not in plain["html"]


def test_the_settings_preview_shows_the_saved_logo(cast, client_for, acme_logo):
    logo, _ = acme_logo
    alice = client_for(cast.alice)
    page = alice.get("/settings/preview/welcome/").content.decode()
    assert logo_tag(logo) in page
    # In the email's frame the image comes from the console's own host, the only
    # one the frame may load from.
    email = alice.get("/settings/preview/welcome-email/").content.decode()
    assert f'<img src="{logo}" alt="Acme Voice"' in email
    gina = client_for(cast.gina).get("/settings/preview/welcome/").content.decode()
    assert "/brand/acme/" not in gina
