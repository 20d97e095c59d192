"""The shared Redis cache, degrading to process memory while Redis is unreachable.

The API reads the cache on every request (throttle counters, rendered pages), so an
unreachable Redis used to turn every endpoint into a 500. Here a Redis error switches the
process to a local in-memory cache for RETRY_SECONDS, logging once per outage rather than
per request; then Redis is tried again. Rendered pages stay correct in local memory (their
keys hold the feed's fingerprint), and throttle counters become per-process until Redis is back.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        # Fail fast: redis-py retries a refused connection 3 times with up to 7 s of backoff,
        # which every request would wait out. The fallback is the retry.
        options = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0, "retry": Retry(NoBackoff(), 0)}
        params = {**params, "OPTIONS": {**options, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._fallback = LocMemCache(f"fallback:{server}", {"TIMEOUT": params.get("TIMEOUT", 300)})
        self._retry_at = 0.0
        self._outage = False

    def ping(self) -> bool:
        """Whether Redis itself answers now (for /readyz; never falls back)."""
        try:
            return bool(self._cache.get_client().ping())
        except RedisError:
            return False

    @property
    def degraded(self) -> bool:
        return self._outage

    def _call(self, name: str, *args, **kwargs):
        if self._outage and time.monotonic() < self._retry_at:
            return getattr(self._fallback, name)(*args, **kwargs)
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except RedisError as exc:
            if not self._outage:
                logger.warning("Redis unreachable (%s); using process memory, retrying every %ss", exc, RETRY_SECONDS)
            self._outage, self._retry_at = True, time.monotonic() + RETRY_SECONDS
            return getattr(self._fallback, name)(*args, **kwargs)
        if self._outage:
            logger.warning("Redis reachable again; the shared cache is back in use")
            self._outage = False
        return result

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def clear(self):
        self._fallback.clear()
        return self._call("clear")
