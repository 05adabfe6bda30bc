"""Access tokens verified without a database round trip on the hot path.

A verified token is remembered in process memory for VECTIS_TOKEN_CACHE_SECONDS (60) with the
*revocation generation* current when it was verified. Any change that can revoke access (an
API client or account deactivated or its scopes changed, a token or application deleted)
moves the generation forward (see vectis/accounts/apps.py). Every request learns the current
generation for free: the rate limiter's Redis script returns it with the bucket (one round
trip, as before); a cached entry of an older generation is verified against the database
again. So a revocation takes effect on the next request in every process.

Without Redis (the embedded default) the generation lives in this process's memory: changes
made in this process are seen at once, those made by another process (a `manage.py shell`)
within VECTIS_TOKEN_CACHE_SECONDS.
"""

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

logger = logging.getLogger("vectis.auth")

GENERATION_KEY_SUFFIX = "authgen"


def generation_key() -> str:
    return f"{settings.VECTIS_RATE_LIMIT_KEY_PREFIX}:{GENERATION_KEY_SUFFIX}"


@lru_cache(maxsize=4)
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


_memory_generation = "0"


def current_generation() -> str | None:
    """The revocation generation; None when it cannot be read (then nothing is cached)."""
    if not settings.REDIS_URL:
        return _memory_generation
    try:
        value = _redis(settings.REDIS_URL).get(generation_key())
    except Exception:
        return None
    return value.decode() if value else "0"


def bump() -> None:
    """Something that can revoke access changed: every cached verification is stale."""
    global _memory_generation
    _memory_generation = uuid.uuid4().hex
    clear()
    if settings.REDIS_URL:
        try:
            _redis(settings.REDIS_URL).set(generation_key(), _memory_generation)
        except Exception as exc:
            # While Redis is unreachable no process can read the generation either, and every
            # request is then verified against the database: nothing stale is used.
            logger.warning("could not publish a token revocation: %s", exc)


@dataclass(frozen=True)
class Entry:
    principal: object
    access: object
    generation: str
    until: float  # monotonic


_lock = threading.Lock()
_entries: dict[str, Entry] = {}
MAX_ENTRIES = 10_000


def get(checksum: str) -> Entry | None:
    entry = _entries.get(checksum)
    if entry is None or entry.until <= time.monotonic():
        return None
    return entry


def put(checksum: str, principal, access, generation: str | None) -> None:
    if generation is None or settings.VECTIS_TOKEN_CACHE_SECONDS <= 0:
        return
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()  # crude, but bounded; a full cache refills from the database
        _entries[checksum] = Entry(
            principal,
            access,
            generation,
            time.monotonic() + settings.VECTIS_TOKEN_CACHE_SECONDS,
        )


def forget(checksum: str) -> None:
    with _lock:
        _entries.pop(checksum, None)


def clear() -> None:
    with _lock:
        _entries.clear()


def on_revoking_change(sender, instance, **kwargs) -> None:
    """post_save/post_delete of an account, API client or OAuth application."""
    bump()


def on_token_change(sender, instance, created: bool = False, **kwargs) -> None:
    """post_save/post_delete of an access token: issuing one revokes nothing, and neither does
    deleting one that has expired (the purge)."""
    from django.utils import timezone

    if not created and instance.expires > timezone.now():
        bump()
