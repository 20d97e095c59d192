"""Failed-login limits for the API token login and the admin login, checked before the password.

At most LOGIN_FAILURE_LIMIT failures per username and per client address within
LOGIN_FAILURE_WINDOW seconds (counted from the first failure); then every attempt under that
name or from that address is refused without checking the password until the window ends:
429 with Retry-After from the API, a message on the admin's login page. `manage.py
unlock_logins` lifts a lockout early. Counts live in the cache (shared through Redis).
"""

from __future__ import annotations

import hashlib
import time

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache


def client_address(request) -> str:
    """The client's address; behind our proxy, the last hop it appended to X-Forwarded-For."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1][:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


def _keys(username: str | None, address: str | None) -> list[str]:
    keys = []
    if username:
        keys.append("login-failures:user:" + hashlib.sha256(username.strip().lower().encode()).hexdigest())
    if address:
        keys.append("login-failures:addr:" + hashlib.sha256(address.encode()).hexdigest())
    return keys


def login_retry_after(*, username: str | None, address: str | None) -> int | None:
    """Seconds until this username and address may try again, or None when they may now."""
    waits = []
    for key in _keys(username, address):
        count, started = cache.get(key, 0), cache.get(key + ":since")
        if count >= settings.LOGIN_FAILURE_LIMIT and started is not None:
            waits.append(max(1, int(started + settings.LOGIN_FAILURE_WINDOW - time.time())))
    return max(waits) if waits else None


def login_failed(*, username: str | None, address: str | None) -> None:
    """Count one failed login against the username and the address."""
    window = settings.LOGIN_FAILURE_WINDOW
    for key in _keys(username, address):
        cache.add(key + ":since", time.time(), window)
        cache.add(key, 0, window)
        try:
            cache.incr(key)
        except ValueError:  # expired in between
            cache.add(key, 1, window)


def login_unlock(*, username: str | None = None, address: str | None = None) -> None:
    """Forget the failures of a username and/or an address (lifts a lockout)."""
    for key in _keys(username, address):
        cache.delete_many([key, key + ":since"])


class LimitedAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form, refusing locked-out names and addresses before checking the password."""

    def clean(self):
        username = self.data.get("username") or None
        address = client_address(self.request) if self.request else None
        wait = login_retry_after(username=username, address=address)
        if wait is not None:
            raise forms.ValidationError(
                f"Too many failed logins. Try again in {-(-wait // 60)} minutes, or ask an editor to unlock it.",
                code="locked_out",
            )
        try:
            return super().clean()
        except forms.ValidationError as exc:
            if exc.code == "invalid_login" or "invalid_login" in {e.code for e in getattr(exc, "error_list", [])}:
                login_failed(username=username, address=address)
            raise
