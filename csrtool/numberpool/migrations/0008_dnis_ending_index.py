from django.db import migrations, models

import csrtool.numberpool.models


def refresh_statistics(apps, schema_editor):
    """The new index needs its statistics where the planner reads any: SQLite
    once ANALYZE ran there, and PostgreSQL always (an expression's values have
    none until the table is analysed)."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT 1 FROM sqlite_master "
                "WHERE type = 'table' AND name = 'sqlite_stat1'"
            )
            if not cursor.fetchone():
                return
        cursor.execute("ANALYZE numberpool_phonenumber")


class Migration(migrations.Migration):
    dependencies = [
        ("numberpool", "0007_pool_state_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="phonenumber",
            index=models.Index(
                csrtool.numberpool.models.DnisEnding("dnis"),
                models.F("partner"),
                name="number_dnis_ending",
            ),
        ),
        migrations.RunPython(refresh_statistics, migrations.RunPython.noop),
    ]
