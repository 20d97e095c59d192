"""Settings for the benchmark server: the production settings with DEBUG off, plus the baseline view.

Used as DJANGO_SETTINGS_MODULE=bench.settings by bench.run (gunicorn, the probe) and never by
the tracker itself, so the baseline view is mounted only here.
"""

import os

# Production mode: DEBUG on would record every SQL query in memory and distort both speed and RSS.
os.environ.setdefault("DEBUG", "0")
# A fixed key for a loopback-only benchmark server; production sets its own SECRET_KEY.
os.environ.setdefault("SECRET_KEY", "bench-only-key-7f3c9a1e5b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a")
# Plain HTTP on 127.0.0.1: no redirect to HTTPS.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Production requires the publisher (api/checks.py); the bench publishes nothing.
os.environ.setdefault("PUBLISHER_URL", "https://bench.example.org")
os.environ.setdefault("PUBLISHER_NAME", "Bench desk")

from tracker.settings import *  # noqa: F403
from tracker.settings import REST_FRAMEWORK

ROOT_URLCONF = "bench.urls"

# The load generator is one client on loopback; throttling would (correctly) refuse it, so the
# benchmark measures the feed with throttling off and says so in RESULTS.md.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_THROTTLE_RATES": {
        scope: "1000000/second" for scope in {*REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}), "anon", "user"}
    },
}

# The session cookie travels over plain HTTP on loopback.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

# The admin scenario renders static URLs; the manifest storage would need collectstatic first.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# BENCH_CACHE=off swaps the response cache for Django's DummyCache, so every request runs the
# feed's whole read path; on (the default) keeps the tracker's cache (per-worker memory, or
# Redis with REDIS_URL).
if os.environ.get("BENCH_CACHE", "on") == "off":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
