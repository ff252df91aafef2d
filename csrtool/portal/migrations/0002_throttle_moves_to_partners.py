"""The rate limiter's counters (Throttle) belong to the partners app now, so that
onboarding and staff sign-in use them without importing the portal. The table
stays where it is (portal_throttle): only Django's idea of its owner changes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Throttle")],
        )
    ]
