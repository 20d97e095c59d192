"""Where the desk may send: partners' public addresses, never its own network.

A URL an editor types could point at the database host, a cloud metadata service or the app
itself. Unless WEBHOOK_ALLOW_PRIVATE_URLS is set (local runs and tests), endpoints must be
public: a literal private or loopback address is refused when registered, and every host
name is resolved and checked again before each send.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from claims.fetch import is_public_address


def refusal(url: str, *, resolve: bool) -> str:
    """Why `url` may not receive webhooks ("" if it may)."""
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return ""
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return "the URL has no host"
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is a loopback address"
    try:
        if not is_public_address(host):
            return f"{host} is a private, loopback or reserved address"
        return ""
    except ValueError:
        pass  # a name, not an address
    if not resolve:
        return ""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        return f"cannot resolve {host}: {exc}"
    for *_, sockaddr in infos:
        if not is_public_address(sockaddr[0]):
            return f"{host} resolves to {sockaddr[0]}, a private, loopback or reserved address"
    return ""


def validate_endpoint_url(url: str) -> None:
    reason = refusal(url, resolve=False)
    if reason:
        raise ValidationError(f"Webhooks go to public addresses only: {reason}.", code="private_address")
