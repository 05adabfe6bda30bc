"""Test settings: the real settings with fast password hashing and in-process tasks."""

import uuid

from vectis.settings import *  # noqa: F403

# Client secrets are hashed with Django's hashers; PBKDF2's cost is for production, not tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
# Rate-limit buckets of this run never meet those of another run on the same Redis.
VECTIS_RATE_LIMIT_KEY_PREFIX = f"vectis-test:{uuid.uuid4().hex[:8]}:rl"
