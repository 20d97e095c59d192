"""The matcher's index is rebuilt by a background task after writes to claims and appearances,
stored for every process, and never built in a request while a stored one exists."""

import pytest

from claims import matching, services, tasks
from claims.services import system_user
from tests.factories import EntityFactory

pytestmark = pytest.mark.django_db

WAGE = "The call center pays the Department of Corrections $7.25 an hour for each incarcerated worker."
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def background(settings):
    settings.MATCH_INDEX_REFRESH = "background"
    settings.MATCH_SUGGEST_THRESHOLD = 0.3
    settings.TASKS = IMMEDIATE  # the task runs at once when enqueued (after the commit)
    return settings


@pytest.fixture
def builds(monkeypatch):
    """How many times an index is built, and where (in a task or not)."""
    built = []
    real = matching.MatchIndex.__init__

    def counting(self, passages):
        built.append(len(passages))
        real(self, passages)

    monkeypatch.setattr(matching.MatchIndex, "__init__", counting)
    return built


def test_a_write_enqueues_the_refresh_on_commit_and_the_request_loads_it(
    background, builds, editor, django_capture_on_commit_callbacks
):
    matching.current_index()  # cold start: nothing stored, built once
    assert builds == [0]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        claim = services.claim_create(text=WAGE, kind="wage", claimant=EntityFactory(), by=system_user())
    assert any(
        callback.__self__ is tasks.refresh_match_index for callback in callbacks if hasattr(callback, "__self__")
    )
    assert builds == [0, 1]  # by the task, after the commit
    matching.forget_index()  # another process: it loads what the task stored
    assert [m.claim_id for m in matching.match_claims(WAGE, user=editor)] == [claim.pk]
    assert builds == [0, 1]  # no build in the request


def test_until_the_task_has_run_requests_answer_from_the_previous_index(background, builds, editor, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # nobody runs it
    first = matching.current_index()
    claim = services.claim_create(text=WAGE, kind="wage", claimant=EntityFactory(), by=system_user())
    assert matching.current_index() is first  # stale, not rebuilt in the request
    assert matching.match_claims(WAGE, user=editor) == []
    matching.refresh()  # what the worker does
    assert [m.claim_id for m in matching.match_claims(WAGE, user=editor)] == [claim.pk]
    assert len(builds) == 2


def test_writes_that_index_nothing_enqueue_nothing(background, editor, django_capture_on_commit_callbacks):
    entity = EntityFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        services.entity_update(entity=entity, name="Renamed", by=editor)
    assert not any(getattr(c, "__self__", None) is tasks.refresh_match_index for c in callbacks)


def test_a_duplicate_run_finds_the_index_stored_and_builds_nothing(background, builds):
    matching.refresh()
    matching.refresh()
    assert builds == [0]


def test_inline_mode_rebuilds_in_the_request(settings, builds):
    settings.MATCH_INDEX_REFRESH = "inline"
    matching.current_index()
    services.claim_create(text=WAGE, kind="wage", claimant=EntityFactory(), by=system_user())
    matching.current_index()
    assert builds == [0, 1]
