"""The rate limiter's counters, moved here from the portal app: its table
(portal_throttle) is kept as it was, only the model's owner changes."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0003_partner_invitations_per_minute"),
        ("portal", "0002_throttle_moves_to_partners"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Throttle",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("scope", models.CharField(max_length=40)),
                        ("key_digest", models.CharField(max_length=64)),
                        ("count", models.PositiveIntegerField(default=0)),
                        (
                            "window_started_at",
                            models.DateTimeField(default=django.utils.timezone.now),
                        ),
                        ("locked_until", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "db_table": "portal_throttle",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("scope", "key_digest"),
                                name="portal_throttle_one_row_per_key",
                                violation_error_message="This counter already exists.",
                            )
                        ],
                    },
                ),
            ],
        )
    ]
