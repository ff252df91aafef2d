"""PostgreSQL: the trigram indexes of login emails and phones move onto
UPPER(…), as the names' and Billing IDs' are. On the bare column, pg_trgm's GIN
index also answers `=` and `IN`, and the planner took it over the unique and
partner indexes for a few whole addresses: every row sharing their trigrams was
read (1.3 s for 250 addresses at 6,000 subscribers). The search compares
UPPER(…) LIKE UPPER(…) for these columns now, which only the new indexes serve.
"""

from django.db import migrations

MOVED = [
    ("subscriber_email_trgm", "email_canonical"),
    ("subscriber_phone_trgm", "phone"),
]


def _create(expression_of):
    return [
        f"CREATE INDEX IF NOT EXISTS {name} ON subscribers_subscriber "
        f"USING gin (({expression_of(column)}) gin_trgm_ops)"
        for name, column in MOVED
    ]


DROP = [f"DROP INDEX IF EXISTS {name}" for name, _ in MOVED]
FORWARD = DROP + _create(lambda column: f"UPPER({column}::text)")
BACKWARD = DROP + _create(lambda column: column)


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("subscribers", "0004_subscriber_import_parts")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
