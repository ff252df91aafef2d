"""Indexes only the ceilings use, kept apart from the product's tables.

The product's own indexes serve every ceiling but one: substring search over
names, emails and Billing IDs, which needs a trigram index the product may not
have. The benchmark keeps its own, built once when the data set is made: on
SQLite an external-content FTS5 table (it reads the subscriber table, and no
trigger of the product's writes ever touches it); on PostgreSQL a side table of
the same text with two pg_trgm GIN indexes: of the text, and of the text with
its marks read as digits, for text typed with a mark in it.
"""

from csrtool.subscribers.search import marks_as_digits

SUBSCRIBER_TEXT = "bench_subscriber_text"

_SQLITE = [
    f"CREATE VIRTUAL TABLE {SUBSCRIBER_TEXT} USING fts5("
    "email_canonical, first_name, last_name, billing_id, "
    "content='subscribers_subscriber', content_rowid='id', tokenize='trigram')",
    f"INSERT INTO {SUBSCRIBER_TEXT}({SUBSCRIBER_TEXT}) VALUES ('rebuild')",
]
_POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # chr(1) between the fields: no typed query holds it, so no match spans two.
    f"CREATE TABLE {SUBSCRIBER_TEXT} AS SELECT id, concat_ws(chr(1), "
    "email_canonical, lower(first_name), lower(last_name), lower(billing_id)) "
    "AS text FROM subscribers_subscriber",
    f"ALTER TABLE {SUBSCRIBER_TEXT} ADD PRIMARY KEY (id)",
    f"CREATE INDEX {SUBSCRIBER_TEXT}_trgm ON {SUBSCRIBER_TEXT} "
    "USING gin (text gin_trgm_ops)",
    f"CREATE INDEX {SUBSCRIBER_TEXT}_marks_trgm ON {SUBSCRIBER_TEXT} "
    # The text with its marks read as digits, as the product's second trigram
    # indexes read addresses and names (`search.TrigramText`).
    f"USING gin (({marks_as_digits('text')}) gin_trgm_ops)",
    f"ANALYZE {SUBSCRIBER_TEXT}",
]


def build(connection) -> None:
    statements = _SQLITE if connection.vendor == "sqlite" else _POSTGRES
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
