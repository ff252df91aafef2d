"""PostgreSQL: a second trigram index of login emails and names, over the text
with the marks `.@_+-'` and space read as digits (`search.TrigramText`), for
what is typed with a mark in it. pg_trgm breaks words at every mark, so on the
text itself a part such as `l.shea` is looked up by the trigrams of `l` and of a
word starting `shea`, and every row holding both is read and rechecked (over a
hundred thousand names at a million subscribers); read across the marks, its
trigrams are as rare as the text. Text typed without a mark keeps the indexes
on UPPER(…), whose rows are cheaper to recheck.
"""

from django.db import migrations

INDEXES = [
    ("subscriber_email_marks_trgm", "email_canonical"),
    ("subscriber_first_name_marks_trgm", "first_name"),
    ("subscriber_last_name_marks_trgm", "last_name"),
]
EXPRESSION = "TRANSLATE(UPPER({column}::text), '.@_+-'' ', '0123456')"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, column in INDEXES:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON subscribers_subscriber "
                f"USING gin (({EXPRESSION.format(column=column)}) gin_trgm_ops)"
            )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, _ in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("subscribers", "0007_subscriber_language")]

    operations = [migrations.RunPython(forward, backward)]
