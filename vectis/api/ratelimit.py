"""Per-client token bucket: atomic in Redis (one Lua script) or in process memory.

The bucket holds up to `burst` tokens and refills at `per_minute / 60` tokens a second; each
request takes one. Redis's own clock is used so every web process agrees on time.
"""

import logging
import math
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from vectis.api import auth_cache

logger = logging.getLogger("vectis.ratelimit")

_LUA = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate) + 1)
-- The revocation generation of cached token verifications (vectis/api/auth_cache.py).
local generation = redis.call('GET', KEYS[2]) or '0'
return {allowed, tostring(tokens), tostring(now), generation}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int  # sustained requests a minute (what the reference's X-RateLimit-Limit says)
    burst: int  # bucket capacity: how many may come at once
    remaining: int  # tokens left: up to `burst`, so above `limit` while a burst is unspent
    reset: int  # unix seconds when the bucket is full again
    retry_after: int  # seconds until one token is available (0 when allowed)
    generation: str | None = None  # of token verifications, read in the same round trip

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Burst": str(self.burst),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


def _decide(
    allowed: bool, tokens: float, now: float, rate: float, capacity: int, generation=None
) -> Decision:
    return Decision(
        allowed=allowed,
        limit=round(rate * 60),
        burst=capacity,
        remaining=max(0, math.floor(tokens)),
        reset=math.ceil(now + (capacity - tokens) / rate),
        retry_after=0 if allowed else max(1, math.ceil((1 - tokens) / rate)),
        generation=generation,
    )


class MemoryBucket:
    """For the embedded default: exact within one process, per-process across several."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}

    def take(self, key: str, rate: float, capacity: int) -> Decision:
        with self._lock:
            now = time.time()
            tokens, ts = self._state.get(key, (float(capacity), now))
            tokens = min(capacity, tokens + max(0.0, now - ts) * rate)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            self._state[key] = (tokens, now)
        return _decide(allowed, tokens, now, rate, capacity, auth_cache.current_generation())

    def reset(self, key: str) -> None:
        with self._lock:
            self._state.pop(key, None)


class RedisBucket:
    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.script = self.client.register_script(_LUA)

    def take(self, key: str, rate: float, capacity: int) -> Decision:
        keys = [key, auth_cache.generation_key()]
        allowed, tokens, now, generation = self.script(keys=keys, args=[rate, capacity, 1])
        generation = generation.decode() if isinstance(generation, bytes) else str(generation)
        return _decide(bool(int(allowed)), float(tokens), float(now), rate, capacity, generation)

    def reset(self, key: str) -> None:
        self.client.delete(key)


_memory = MemoryBucket()


@lru_cache(maxsize=4)
def _redis_bucket(url: str) -> RedisBucket:
    return RedisBucket(url)


def bucket() -> MemoryBucket | RedisBucket:
    url = settings.REDIS_URL
    return _redis_bucket(url) if url else _memory


def bucket_key(client_public_id: str) -> str:
    return f"{settings.VECTIS_RATE_LIMIT_KEY_PREFIX}:{client_public_id}"


def check(client_public_id: str) -> Decision | None:
    """Take one token for the client; None when limiting is off or Redis is unreachable."""
    if not settings.VECTIS_RATE_LIMIT_ENABLED:
        return None
    per_minute = settings.VECTIS_RATE_LIMIT_PER_MINUTE
    capacity = settings.VECTIS_RATE_LIMIT_BURST
    try:
        return bucket().take(bucket_key(client_public_id), per_minute / 60.0, capacity)
    except Exception as exc:  # Redis down: serve the request rather than fail the API.
        logger.warning("rate limiter unavailable, admitting request: %s", exc)
        return None
