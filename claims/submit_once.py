"""A form sent twice (a double click on Save, Back and send again) is acted on once.

Each form carries a fresh token. The first POST with a token runs and, when it redirects (saved),
remembers where to; a repeat waits for the first to finish and is sent to the same place, with a
note, instead of being run again (which would report a false "someone else saved this" or write a
duplicate). A POST that did not save (form errors) forgets its token, so it can be corrected and
sent again. Tokens live in the cache (shared Redis in production) for ten minutes.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

FIELD = "_submit_token"
PENDING = "pending"
KEEP_SECONDS = 600
WAIT_SECONDS = 10


def new_token() -> str:
    """A token for one rendering of a form."""
    return secrets.token_urlsafe(16)


def submit_once(request: HttpRequest, handle: Callable[[], HttpResponse]) -> HttpResponse:
    """`handle()` unless this POST repeats one already acted on; then a redirect to where it went."""
    token = request.POST.get(FIELD, "") if request.method == "POST" else ""
    if not token:
        return handle()
    key = f"submit-once:{request.user.pk}:{token}"
    if cache.add(key, PENDING, timeout=KEEP_SECONDS):
        try:
            response = handle()
        except BaseException:
            cache.delete(key)
            raise
        if response.status_code in (301, 302, 303):
            cache.set(key, response["Location"], timeout=KEEP_SECONDS)
        else:
            cache.delete(key)
        return response
    location = cache.get(key)
    deadline = time.monotonic() + WAIT_SECONDS
    while location == PENDING and time.monotonic() < deadline:
        time.sleep(0.1)
        location = cache.get(key)
    if location in (None, PENDING):  # the first one did not save after all
        return handle()
    messages.info(request, "This form was sent twice; it was acted on once.")
    return HttpResponseRedirect(location)
