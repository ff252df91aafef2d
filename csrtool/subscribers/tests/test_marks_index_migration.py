"""The trigram indexes across marks (PostgreSQL) come and go with their migration."""

import pytest
from django.db import connection

from csrtool.conftest import migrate_to

BEFORE = [("subscribers", "0007_subscriber_language")]
AFTER = [("subscribers", "0008_trigrams_across_marks")]
MARKS_INDEXES = {
    "subscriber_email_marks_trgm",
    "subscriber_first_name_marks_trgm",
    "subscriber_last_name_marks_trgm",
}


def marks_indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s",
            ["subscribers_subscriber"],
        )
        return {name for (name,) in cursor.fetchall()} & MARKS_INDEXES


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("latest_schema_after")
def test_the_marks_indexes_are_dropped_going_back_and_made_again():
    if connection.vendor != "postgresql":
        pytest.skip("pg_trgm indexes: SQLite's FTS5 table reads across marks already")
    assert marks_indexes() == MARKS_INDEXES

    migrate_to(BEFORE)
    assert marks_indexes() == set()

    migrate_to(AFTER)
    assert marks_indexes() == MARKS_INDEXES
