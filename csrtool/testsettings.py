"""Settings for the test suite: the real settings, with test-only defaults.

The suite runs on SQLite by default and on PostgreSQL when CSRTOOL_DATABASE_URL
points at one.
"""

import os
import tempfile

os.environ.setdefault("CSRTOOL_SECRET_KEY", "test-only-secret-key-" + "k" * 40)
os.environ.setdefault("CSRTOOL_DATA_DIR", tempfile.mkdtemp(prefix="csrtool-test-"))

from csrtool.settings import *  # noqa: E402, F403

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Argon2 costs ~170 ms per hash on purpose; staff logins in tests need no such cost.
# Subscriber secrets keep their own Argon2 hashing and are tested with it.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AXES_ENABLED = True
# Subscriber secrets are still hashed with Argon2 in tests, at the lowest cost.
ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
