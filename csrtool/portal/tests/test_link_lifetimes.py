"""The partner's link setting is for welcome links; reset and email-change links
keep their fixed lifetimes, and the settings page says so."""

from datetime import UTC, datetime, timedelta

import pytest

from csrtool.onboarding.models import LinkPurpose
from csrtool.partners.access import cli_actor
from csrtool.portal import auth, email_change, reset
from csrtool.portal.tests.conftest import SAM_PASSWORD

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_reset_link_lasts_an_hour_whatever_the_partner_sets(sam):
    sam.partner.link_expiry_hours = 720
    sam.partner.save(update_fields=["link_expiry_hours"])
    email = reset.send_password_reset(
        actor=cli_actor(), public_id=sam.public_id, now=NOW
    )
    assert email.link.purpose == LinkPurpose.PASSWORD_RESET
    assert email.link.expires_at - NOW == timedelta(minutes=60)


def test_an_email_change_link_lasts_a_day(sam):
    change = email_change.request_email_change(
        actor=auth.subscriber_actor(sam),
        subscriber=sam,
        current_password=SAM_PASSWORD,
        new_email="sam.new@customer.example",
        now=NOW,
    )
    assert change.link.expires_at - NOW == timedelta(hours=24)


def test_the_settings_page_explains_which_links_the_setting_covers(cast, client_for):
    page = client_for(cast.alice).get("/settings/").content.decode()
    assert "Welcome links expire after (hours)" in page
    assert "a password-reset link works for 60 minutes" in page
    assert "a link confirming a new login email for 24 hours" in page
    assert 'aria-describedby="id_link_expiry_hours_helptext"' in page
