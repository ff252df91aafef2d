"""SQLite: an index of each subscriber's partner and creation time by id
(`subscriber_dated`), for Subscriber Lookup's rare texts.

A text with up to a few thousand trigram hits has its hits put in order, newest
first, to find a page. Read from the subscriber table, each hit is a visit to a
wide row, most of it on a page of its own; read from this index, whose entries
are a few dozen bytes and which stays in SQLite's page cache, the same order
costs half as much, and only the page's rows are then read whole (see
`search._dated_candidates`).
"""

from django.db import migrations

INDEX = "subscriber_dated"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON subscribers_subscriber "
            "(id, partner_id, created_at)"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("subscribers", "0009_searched_text_table")]

    operations = [migrations.RunPython(forward, backward)]
