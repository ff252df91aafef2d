"""The environment every benchmark process runs csrtool in: production settings
(DEBUG off, so Django keeps no query log), a throw-away data directory and key,
and the given database."""

import os
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def environment(database_url: str, *, port: int = 8000, settings="csrtool.settings"):
    """Variables for a csrtool process (this one or a child) on that database."""
    data_dir = os.environ.get("CSRTOOL_BENCH_DATA_DIR") or os.path.join(
        tempfile.gettempdir(), "csrtool-bench", "data"
    )
    return {
        "CSRTOOL_DATABASE_URL": database_url,
        "CSRTOOL_DATA_DIR": data_dir,
        "CSRTOOL_SECRET_KEY": os.environ.get("CSRTOOL_BENCH_SECRET_KEY")
        or secrets.token_urlsafe(40),
        "CSRTOOL_DEBUG": "false",
        "CSRTOOL_BASE_URL": f"http://127.0.0.1:{port}",
        "CSRTOOL_EMAIL_URL": "",
        "CSRTOOL_LOG_LEVEL": "ERROR",
        # Benchmarks measure throughput from one address with one key, far past
        # the API's rate limits (which they would otherwise measure instead).
        "CSRTOOL_API_ADDRESS_REQUESTS_PER_MINUTE": "100000000",
        "CSRTOOL_API_KEY_REQUESTS_PER_MINUTE": "100000000",
        "CSRTOOL_API_ADDRESS_BAD_KEYS_PER_MINUTE": "100000000",
        "DJANGO_SETTINGS_MODULE": settings,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }


def setup(database_url: str) -> None:
    """Configure Django in this process for the database."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.update(environment(database_url))
    import django

    django.setup()


def child_environment(database_url: str, **options) -> dict:
    """This process's environment with the csrtool variables for a child."""
    return {**os.environ, **environment(database_url, **options)}
