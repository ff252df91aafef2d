"""What every benchmark does first: a throw-away installation and a fresh partner."""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def start(database_url: str = ""):
    """Configure Django on a scratch data directory (or the given database), migrate,
    and return a new partner with a stamp unique to this run."""
    os.environ["CSRTOOL_DATA_DIR"] = tempfile.mkdtemp(prefix="csrtool-bench-")
    os.environ["CSRTOOL_DEBUG"] = "true"
    os.environ["CSRTOOL_DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "csrtool.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from csrtool.partners.access import cli_actor
    from csrtool.partners.services import create_partner

    call_command("migrate", verbosity=0)
    stamp = str(int(time.time()))
    partner = create_partner(
        actor=cli_actor(), name=f"Bench {stamp}", slug=f"bench-{stamp}", time_zone="UTC"
    )
    return partner, stamp
