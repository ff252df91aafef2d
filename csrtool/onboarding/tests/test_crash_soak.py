"""The longer run: twenty workers killed at random crash points while accounts keep
coming; in the end every welcome email went out, and an extra copy only for each
kill between the mail server's acceptance and our record of it.

Not in the default run (marker `soak`); `.ci/run` runs it on both databases.
"""

import random
import signal
from collections import Counter

import pytest

from csrtool.onboarding import delivery
from csrtool.onboarding.models import EmailStatus, OutboundEmail
from csrtool.onboarding.tests.test_crash_windows import after_the_lease, run_worker
from csrtool.subscribers.services import create_subscriber

STEPS = ["email.job_started", "email.claimed", "email.accepted", "email.recorded"]
KILLS = 20


@pytest.mark.soak
@pytest.mark.django_db(transaction=True)
def test_twenty_random_kills_lose_no_email(cast, smtpd, actor_of):
    rng = random.Random(20261203)  # noqa: S311
    resent = 0
    for kill in range(KILLS):
        for n in range(rng.randint(1, 3)):
            create_subscriber(
                actor=actor_of(cast.bob),
                first_name="Soak",
                last_name=f"Customer {kill}-{n}",
                email=f"soak{kill}-{n}@customer.example",
                phone="+12125550123",
                billing_id=f"S-{kill}-{n}",
            )
        step = rng.choice(STEPS)
        returncode, output = run_worker(smtpd, crash_at=step)
        assert returncode == -signal.SIGKILL, (step, output)
        resent += step == "email.accepted"
        delivery.recover_stalled_emails(now=after_the_lease())

    assert run_worker(smtpd)[0] == 0
    emails = OutboundEmail.objects.all()
    assert {email.status for email in emails} == {EmailStatus.SENT}
    copies = Counter(message["Message-ID"] for message in smtpd.messages)
    assert set(copies) == {email.message_id for email in emails}
    # Each kill after the server's acceptance resent exactly one email once.
    assert sum(copies.values()) == len(emails) + resent
