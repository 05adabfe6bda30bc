"""Test settings: the real settings with fast password hashing and in-process tasks."""

import os
import uuid

# Tests talk plain http in-process: development mode, also when DATABASE_URL points at
# PostgreSQL (which alone would mean production). Set before the real settings are read.
os.environ["VECTIS_ENV"] = "development"

# Under pytest-xdist (`make test` runs two workers) each worker has its own test database
# (pytest-django names them test_<name>_gw0, …) and its own Redis database, so the cache,
# rate-limit buckets and token generations of one never meet the other's.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and int(_worker[2:] or 0) > 0 and os.environ.get("REDIS_URL"):
    _base, _, _db = os.environ["REDIS_URL"].rpartition("/")
    if _db.isdigit():
        # below the suite's own (15), the contract run's (14): 8, 7, …
        os.environ["REDIS_URL"] = f"{_base}/{max(0, 9 - int(_worker[2:]))}"

from vectis.settings import *  # noqa: E402, F403

# Client secrets are hashed with Django's hashers; PBKDF2's cost is for production, not tests.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "vectis.accounts.hashers.ClientSecretHasher",
]
CELERY_TASK_ALWAYS_EAGER = True
# Network-bound work (webhook deliveries) runs inline, so tests see it done when a call
# returns; tests/webhooks/test_request_path.py covers the background threads of the default.
VECTIS_BACKGROUND_INLINE = True
# ...and on the test's own connection, which sees the test's uncommitted rows.
VECTIS_WEBHOOK_DELIVERY_THREADS = 1
# Rate-limit buckets of this run never meet those of another run on the same Redis.
VECTIS_RATE_LIMIT_KEY_PREFIX = f"vectis-test:{uuid.uuid4().hex[:8]}:rl"
# seed_demo keeps the demo secret in a file: never the checkout's own.
VECTIS_DEMO_CREDENTIALS_FILE = os.path.join(
    os.environ.get("TMPDIR", "/tmp"), f"vectis-test-demo-{uuid.uuid4().hex[:8]}.json"
)
