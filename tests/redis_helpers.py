"""The real Redis for tests, shared safely: every test gets its own key prefix, and clearing
deletes only its own keys (Django's cache.clear() flushes the whole database, which broke
other test runs sharing the server: CI's two databases, parallel workers, developers)."""

from __future__ import annotations

import os
import uuid

import redis

REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_caches(backend: str = "django.core.cache.backends.redis.RedisCache", url: str = REDIS_URL) -> dict:
    prefix = f"test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    return {"default": {"BACKEND": backend, "LOCATION": url, "KEY_PREFIX": prefix}}


def own_keys(caches: dict) -> list[bytes]:
    config = caches["default"]
    return list(redis.Redis.from_url(config["LOCATION"]).scan_iter(match=f"{config['KEY_PREFIX']}:*"))


def clear_own_keys(caches: dict) -> None:
    keys = own_keys(caches)
    if keys:
        redis.Redis.from_url(caches["default"]["LOCATION"]).delete(*keys)
