"""Throttle counters are one atomic counter per client and window, shared through the cache."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.request import Request

from tests.redis_helpers import redis_caches
from tracker.throttling import AnonRateThrottle


class Throttle(AnonRateThrottle):
    rate = "20/minute"


def allowed_concurrently(requests: int) -> int:
    barrier = threading.Barrier(requests)
    results = []

    def call():
        request = Request(RequestFactory().get("/api/claims/", REMOTE_ADDR="203.0.113.7"))
        request.user = None
        barrier.wait()
        results.append(Throttle().allow_request(request, None))

    threads = [threading.Thread(target=call) for _ in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(results)


def test_concurrent_requests_never_pass_the_limit_in_process_memory():
    assert allowed_concurrently(60) == 20


@pytest.mark.redis
def test_concurrent_requests_never_pass_the_limit_with_redis(settings):
    settings.CACHES = redis_caches("tracker.cache.ResilientRedisCache")
    if not cache.ping():
        pytest.skip("no Redis at 127.0.0.1:6379")
    assert allowed_concurrently(60) == 20
