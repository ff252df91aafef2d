"""Settings for the test suite: the real settings, with test-only defaults.

The suite runs on SQLite by default and on PostgreSQL when CSRTOOL_DATABASE_URL
points at one.
"""

import os
import tempfile

os.environ.setdefault("CSRTOOL_SECRET_KEY", "test-only-secret-key-" + "k" * 40)
os.environ.setdefault("CSRTOOL_DATA_DIR", tempfile.mkdtemp(prefix="csrtool-test-"))

from csrtool.settings import *  # noqa: E402, F403

MAIN_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Argon2 costs ~170 ms per hash on purpose; staff logins in tests need no such cost.
# Subscriber secrets keep their own Argon2 hashing and are tested with it.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AXES_ENABLED = True
# Subscriber secrets are still hashed with Argon2 in tests, at the lowest cost.
ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}

# The audit log refuses to be erased (audit migration 0003), but the test runner
# empties every table after each test that commits. Test connections, and only
# they, carry the flag that lets the runner do so.
_database = DATABASES["default"]  # noqa: F405
if _database["ENGINE"].endswith("sqlite3"):
    _database["OPTIONS"]["init_command"] += (
        ";CREATE TEMP TABLE IF NOT EXISTS audit_log_erasable (flag INTEGER)"
    )
else:
    _database["OPTIONS"]["options"] = (
        _database["OPTIONS"].get("options", "") + " -c csrtool.audit_log_erasable=on"
    ).strip()
# Tests make many API calls from one address in a minute; the rate-limit tests set
# their own limits.
API_ADDRESS_REQUESTS_PER_MINUTE = 1_000_000
API_KEY_REQUESTS_PER_MINUTE = 1_000_000
API_ADDRESS_BAD_KEYS_PER_MINUTE = 1_000_000

# The tests' OpenID provider listens on http://127.0.0.1.
SSO_ALLOW_HTTP_LOOPBACK = True
