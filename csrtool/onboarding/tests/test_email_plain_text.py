"""Subjects and plain-text parts are text, not HTML: a partner called "AT&T" sends
"Welcome to AT&T", for every kind of email, as a real SMTP server receives it. The
HTML part still escapes what it shows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from csrtool.conftest import make_subscriber, run_jobs
from csrtool.onboarding.models import EmailKind, LinkPurpose
from csrtool.onboarding.services import enqueue_email, issue_link

PRODUCT = "AT&T <Voice>"
SENDER = "Smith & Sons"
LAST_NAME = 'O\'Neil & "Co"'
OLD_EMAIL = "o'neil@customer.example"
NEW_EMAIL = "o'neil+new@customer.example"
LINKS = {
    EmailKind.WELCOME: LinkPurpose.WELCOME,
    EmailKind.PASSWORD_RESET: LinkPurpose.PASSWORD_RESET,
    EmailKind.EMAIL_CHANGE: LinkPurpose.EMAIL_CHANGE,
}


@pytest.fixture
def subscriber(cast):
    cast.acme.product_name = PRODUCT
    cast.acme.sender_name = SENDER
    cast.acme.save()
    return make_subscriber(cast.acme, email=OLD_EMAIL, last_name=LAST_NAME)


def send(kind, subscriber, actor):
    context = {"old_email": OLD_EMAIL, "new_email": NEW_EMAIL}
    if kind in (EmailKind.PIN_CHANGED, EmailKind.QUESTION_CHANGED):
        context = {"changed_at": timezone.now().isoformat()}
    if kind in LINKS:
        issue_link(
            actor=actor,
            subscriber=subscriber,
            purpose=LINKS[kind],
            kind=kind,
            lifetime=timedelta(hours=1),
            now=timezone.now(),
            action="test.link_issued",
            context=context,
        )
    else:
        enqueue_email(subscriber=subscriber, kind=kind, actor=actor, context=context)
    run_jobs()


@pytest.mark.parametrize("kind", EmailKind.values)
def test_subject_and_plain_text_show_names_as_typed(
    kind, cast, subscriber, smtpd, actor_of
):
    send(kind, subscriber, actor_of(cast.bob))

    [message] = smtpd.messages
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert PRODUCT in message["Subject"]
    assert "&amp;" not in message["Subject"] and "&lt;" not in message["Subject"]
    assert PRODUCT in text and SENDER in text
    assert "&amp;" not in text and "&#x27;" not in text and "&lt;" not in text
    assert "AT&amp;T &lt;Voice&gt;" in html
    assert PRODUCT not in html
    if kind in (EmailKind.EMAIL_CHANGE, EmailKind.EMAIL_CHANGED):
        assert NEW_EMAIL in text
    else:
        assert LAST_NAME in text
