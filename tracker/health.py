"""/healthz (the process answers) and /readyz (its database, cache and task queue), as JSON.

Readiness is 503 only when the database or the task queue fails: without Redis the app still serves from the
database (tracker.cache), so a failing cache is reported as "degraded" with a 200.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database() -> dict:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"status": "ok"}
    except DatabaseError as exc:
        return {"status": "down", "detail": str(exc).strip()[:200]}


def _cache() -> dict:
    ping = getattr(cache, "ping", None)
    if ping is None:
        return {"status": "ok", "backend": "process memory"}
    if ping():
        return {"status": "ok", "backend": "redis"}
    return {"status": "degraded", "backend": "redis", "detail": "Redis unreachable; serving from process memory."}


def _tasks() -> dict | None:
    if not getattr(settings, "TASKS", None):
        return None
    from django_tasks import task_backends

    backend = type(task_backends["default"]).__name__
    if backend != "DatabaseBackend":
        return {"status": "ok", "backend": backend}
    # django-tasks-db's queue is a table: ready when it can be read.
    from django_tasks_db.models import DBTaskResult

    try:
        DBTaskResult.objects.exists()
    except DatabaseError as exc:
        return {"status": "down", "backend": backend, "detail": str(exc).strip()[:200]}
    return {"status": "ok", "backend": backend}


@never_cache
@require_GET
def readyz(request):
    checks = {"database": _database(), "cache": _cache()}
    tasks = _tasks()
    if tasks is not None:
        checks["tasks"] = tasks
    statuses = {check["status"] for check in checks.values()}
    if "down" in statuses:
        overall, code = "down", 503
    elif statuses == {"ok"}:
        overall, code = "ok", 200
    else:
        overall, code = "degraded", 200
    return JsonResponse({"status": overall, "checks": checks}, status=code)
