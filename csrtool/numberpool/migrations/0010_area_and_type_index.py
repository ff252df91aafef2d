from django.db import migrations, models


def refresh_statistics(apps, schema_editor):
    """SQLite plans without statistics unless ANALYZE ran once; if it did, the
    new index needs its own, or the planner prefers it for every list."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
        )
        if cursor.fetchone():
            cursor.execute("ANALYZE numberpool_phonenumber")


class Migration(migrations.Migration):
    dependencies = [
        ("numberpool", "0009_import_file_pieces"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="phonenumber",
            index=models.Index(
                fields=["partner", "area_code", "number_type", "number"],
                name="number_partner_area_type_order",
            ),
        ),
        migrations.RunPython(refresh_statistics, migrations.RunPython.noop),
    ]
