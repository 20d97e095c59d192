import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    # Postgres-only behaviour (row locks, concurrency, full-text search) skips cleanly on SQLite.
    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Tests create many users; the production hasher would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _match_index(settings, tmp_path):
    # Each test its own store (history ids, the index's key, repeat across tests), built in the
    # request: tests check matches right after a write, with no worker running.
    # tests/claims/test_match_refresh.py turns the background refresh on.
    from claims import matching

    settings.MATCH_INDEX_DIR = tmp_path / "match-index"
    settings.MATCH_INDEX_REFRESH = "inline"
    matching.forget_index()
    yield
    matching.forget_index()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# The desk's roles, as the migrations create them; modules override these where they need
# a logged-in client instead.
@pytest.fixture
def editor(db):
    from tests.factories import make_user

    return make_user("editor", "Editors")


@pytest.fixture
def reviewer1(db):
    from tests.factories import make_user

    return make_user("reviewer1", "Reviewers")


@pytest.fixture
def reviewer2(db):
    from tests.factories import make_user

    return make_user("reviewer2", "Reviewers")
