"""Rate limits counted with the cache's atomic add/incr (one shared count per client and window).

DRF's throttles keep a list of timestamps per client and write it back after reading it, so
concurrent workers overwrite each other's counts (769 requests passed a limit of 600 with
Redis). Here each (client, window) is one counter: `add` creates it with the window's expiry,
`incr` is atomic in Redis and under a lock in local memory. Windows are fixed (aligned to the
clock), so a client may spend up to twice the rate across a window boundary.

Without Redis the cache is per process, and so is each count: with N workers a client gets up
to N times the rate. While Redis is unreachable the same holds (tracker.cache falls back).
"""

from __future__ import annotations

import time

from rest_framework import throttling


class AtomicRateThrottleMixin:
    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = int(time.time())
        window = now // self.duration
        key = f"{self.key}:{window}"
        self.cache.add(key, 0, self.duration + 1)
        try:
            count = self.cache.incr(key)
        except ValueError:  # the counter expired between add and incr
            self.cache.add(key, 1, self.duration + 1)
            count = 1
        self._wait = (window + 1) * self.duration - now
        return count <= self.num_requests

    def wait(self) -> float:
        return self._wait


class AnonRateThrottle(AtomicRateThrottleMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(AtomicRateThrottleMixin, throttling.UserRateThrottle):
    pass
