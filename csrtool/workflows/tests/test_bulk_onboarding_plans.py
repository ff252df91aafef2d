"""Checking a chunk of a bulk import against the database reads indexes: its cost
stays the same whether the partner has a thousand accounts or a million."""

from django.db import connection

from csrtool.conftest import make_subscriber
from csrtool.subscribers.tests.test_lookup_index import _plan_subscribers, _plans
from csrtool.workflows import bulk_onboarding

HEADER = "first_name,last_name,email,phone,billing_id\n"


def test_a_chunk_is_checked_on_indexes_not_by_reading_the_partners_accounts(cast):
    _plan_subscribers(cast.acme)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE subscribers_subscriber")
            cursor.execute("SET enable_seqscan = off")
    rows = bulk_onboarding.parse_accounts(
        HEADER
        + "".join(
            f"Cust,Omer{n},new{n}@customer.example,+1 212 555 {1000 + n},INV-{n}\n"
            for n in range(20)
        )
    )
    bulk_onboarding._check_fields(rows, cast.acme)
    with _plans() as plans:
        bulk_onboarding._classify(rows, cast.acme)
    # Their Billing IDs are known: each is the partner's customer already.
    assert {row.outcome for row in rows} == {bulk_onboarding.PRESENT}
    for plan in plans:
        # Walking the partner's accounts in date order is a scan too.
        assert "subscriber_newest" not in plan, plan
        assert "SCAN subscribers_subscriber" not in plan, plan
        assert "Seq Scan on subscribers_subscriber" not in plan, plan


def test_of_two_accounts_with_one_billing_id_the_newest_is_the_one_present(cast):
    make_subscriber(cast.acme, email="old@customer.example", billing_id="B-1")
    newer = make_subscriber(cast.acme, email="new@customer.example", billing_id="B-1")
    rows = bulk_onboarding.parse_accounts(
        HEADER + "Cust,Omer,third@customer.example,+1 212 555 0101,B-1\n"
    )
    bulk_onboarding._check_fields(rows, cast.acme)
    bulk_onboarding._classify(rows, cast.acme)
    assert (rows[0].outcome, rows[0].subscriber_id) == (
        bulk_onboarding.PRESENT,
        newer.public_id,
    )
