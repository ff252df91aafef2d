import pytest

from csrtool.onboarding import links, services
from csrtool.onboarding.models import OutboundEmail

GOOD = {
    "password": "paper lantern over the quiet harbour",
    "password_confirm": "paper lantern over the quiet harbour",
    "pin": "480613",
    "pin_confirm": "480613",
    "question": "first-pet",
    "own_question": "",
    "answer": "Biscuit",
}


def issue_link(actor, subscriber, now=None) -> str:
    """Send a welcome email to `subscriber` and return its link's token."""
    services.send_welcome(actor=actor, subscriber=subscriber, now=now)
    email = OutboundEmail.objects.filter(subscriber=subscriber).latest("id")
    return links.token_from_seed(email.link_seed)


@pytest.fixture
def sam_token(cast, actor_of):
    return issue_link(actor_of(cast.bob), cast.sam)
