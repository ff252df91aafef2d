"""The table of the searched text (PostgreSQL) is filled with the subscribers
there are when it is made, and goes with its migration."""

import pytest
from django.db import connection

from csrtool.conftest import make_subscriber, migrate_to
from csrtool.subscribers.models import Subscriber

BEFORE = [("subscribers", "0008_trigrams_across_marks")]
AFTER = [("subscribers", "0009_searched_text_table")]


def searched_rows() -> list[tuple] | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('subscribers_searched_text')")
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute("SELECT id, text FROM subscribers_searched_text ORDER BY id")
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("latest_schema_after")
def test_the_subscribers_there_are_are_searched_once_the_table_is_made(cast):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite searches inside text through its FTS5 table")
    migrate_to(BEFORE)
    assert searched_rows() is None
    ada = make_subscriber(
        cast.acme, email="ada@engine.example", last_name="Lovelace", billing_id="E-1"
    )

    migrate_to(AFTER)
    rows = dict(searched_rows())
    assert set(rows) == set(Subscriber.objects.values_list("pk", flat=True))
    assert rows[ada.pk] == (
        "ADA@ENGINE.EXAMPLE\x1fSAM\x1fLOVELACE\x1fE-1\x1f+12125550100"
    )
    acme = Subscriber.objects.for_partner(cast.acme)
    assert [s.pk for s in acme.lookup("ovelac").items] == [ada.pk]
    # The triggers came with it.
    Subscriber.objects.filter(pk=ada.pk).update(last_name="Byron")
    assert [s.pk for s in acme.lookup("byro").items] == [ada.pk]
