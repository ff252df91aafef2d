"""Accounts of a bulk import written together (one INSERT per table) are the same
as accounts added one by one: each audited, each an event, each welcome email
queued at the pace with a working link; a login taken meanwhile costs only its
own row."""

import re

from csrtool.audit.models import AuditEvent
from csrtool.conftest import run_jobs
from csrtool.events.models import Event
from csrtool.onboarding.models import EmailKind, OutboundEmail
from csrtool.partners.access import staff_actor
from csrtool.subscribers import services as subscriber_services
from csrtool.subscribers.models import Subscriber
from csrtool.workflows import bulk_onboarding

HEADER = "first_name,last_name,email,phone,billing_id\n"


def accounts(count: int, start: int = 0) -> str:
    return HEADER + "".join(
        f"Cust,Omer{i},c{i}@customer.example,+1 212 555 {1000 + i},B-{i}\n"
        for i in range(start, start + count)
    )


def test_each_account_written_together_is_audited_published_and_welcomed(
    cast, client, smtpd
):
    job = bulk_onboarding.import_accounts(actor=staff_actor(cast.bob), text=accounts(4))
    assert (job.added, job.failed) == (4, 0)
    imported = Subscriber.objects.filter(billing_id__startswith="B-").order_by("pk")
    assert imported.count() == 4
    for subscriber in imported:
        created = AuditEvent.objects.get(
            action="subscriber.created", target_id=subscriber.public_id
        )
        assert created.partner == cast.acme and created.actor_user == cast.bob
        assert created.after["email"] == subscriber.email
        event = Event.objects.get(
            type="subscriber.created",
            data__object__subscriber_id=subscriber.public_id,
        )
        assert event.partner == cast.acme
        assert event.data["object"]["status"] == "pending_activation"
    # Events in row order, as the feed publishes them.
    published = Event.objects.filter(type="subscriber.created").order_by("pk")
    assert [e.data["object"]["last_name"] for e in published] == [
        f"Omer{i}" for i in range(4)
    ]
    assert job.subscriber_ids() == {
        str(line): s.public_id for line, s in enumerate(imported, start=2)
    }

    run_jobs()  # the import's invitations, then the emails
    assert OutboundEmail.objects.filter(kind=EmailKind.WELCOME).count() == 4
    for subscriber in imported:
        queued = AuditEvent.objects.get(
            action="onboarding.welcome_email_queued", target_id=subscriber.public_id
        )
        assert queued.actor_user == cast.bob and queued.channel == "worker"
    message = smtpd.to("c2@customer.example")
    assert len(message) == 1
    text = message[0].get_body(("plain",)).get_content()
    path = re.search(r"https?://[^/\s]+(/\S+)", text).group(1)
    response = client.get(path)
    assert response.status_code == 200
    assert "c2@customer.example" in response.content.decode()
    assert "This link no longer works" not in response.content.decode()


def test_a_login_taken_while_the_chunk_is_written_costs_only_its_row(cast, monkeypatch):
    actor = staff_actor(cast.bob)
    job, _ = bulk_onboarding.preview_import(actor=actor, text=accounts(3))
    classify = bulk_onboarding._classify

    def a_csr_adds_one_meanwhile(rows, partner):
        classify(rows, partner)
        subscriber_services.create_subscriber(
            actor=staff_actor(cast.alice),
            first_name="Quick",
            last_name="Csr",
            email="c1@customer.example",
            phone="+1 212 555 0190",
            billing_id="Q-1",
        )

    monkeypatch.setattr(bulk_onboarding, "_classify", a_csr_adds_one_meanwhile)
    job = bulk_onboarding.run_import(actor=actor, import_id=job.pk)
    assert (job.added, job.failed) == (2, 1)
    assert job.problems == {"3": "This email address is already in use."}
    assert set(
        Subscriber.objects.filter(billing_id__startswith="B-").values_list(
            "last_name", flat=True
        )
    ) == {"Omer0", "Omer2"}
    assert AuditEvent.objects.filter(action="subscriber.created").count() == 3


def test_an_address_passing_for_another_in_the_same_file_is_refused(cast):
    text = HEADER + (
        "Ace,Latin,ace@customer.example,+1 212 555 0101,B-1\n"
        "Ace,Cyrillic,\u0430\u0441\u0435@customer.example,+1 212 555 0102,B-2\n"
    )
    job = bulk_onboarding.import_accounts(actor=staff_actor(cast.bob), text=text)
    assert (job.added, job.failed) == (1, 1)
    assert "looks the same as another one in the file" in job.problems["3"]
