"""Fetching an article by URL for the desk, and extracting its text and metadata.

The tracker fetches URLs that editors type in, so a URL must not become a way into the
machine's own network: only http(s), every address a host name resolves to is checked
(private, loopback, link-local, reserved, multicast are refused unless FETCH_ALLOW_PRIVATE),
the connection goes to the address that was checked (a second DNS answer cannot swap it),
and every redirect is checked the same way. Reading stops at FETCH_MAX_BYTES and at
FETCH_TIMEOUT_SECONDS overall.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin, urlsplit

import trafilatura
from django.conf import settings

from claims.errors import ServiceError

MAX_REDIRECTS = 5
_CHUNK = 65536
USER_AGENT = "claim-tracker/1.0 (fact-checking desk; article import)"


class FetchRefused(ServiceError):
    """A URL the tracker will not fetch, or a response it will not use."""


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    body: bytes
    content_type: str


@dataclass(frozen=True)
class Article:
    text: str
    title: str
    outlet: str
    author: str
    published_on: date | None


def _refuse(rule: str, message: str) -> FetchRefused:
    return FetchRefused(rule, message)


def _checked_address(host: str, port: int) -> tuple:
    """The first resolved address of `host`, after checking that none of them is private."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise _refuse("fetch_dns", f"{host}: the name does not resolve ({exc.strerror})") from exc
    if not settings.FETCH_ALLOW_PRIVATE:
        for *_, sockaddr in infos:
            if not is_public_address(sockaddr[0]):
                raise _refuse(
                    "fetch_private_address",
                    f"{host} resolves to {sockaddr[0]}, a private or local address; the tracker fetches public sites only",
                )
    family, _, _, _, sockaddr = infos[0]
    return family, sockaddr


def is_public_address(text: str) -> bool:
    """Whether the tracker may connect to this IP address: the one rule for fetching documents
    and sending webhooks. is_global is False for private, loopback, link-local, shared (CGNAT),
    reserved and documentation ranges; multicast is global but never a web server; an IPv4
    address mapped into IPv6 is judged as the IPv4 address it is. ValueError if not an address."""
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP connection to an address checked beforehand, whatever DNS says next."""

    def __init__(self, host, port, *, sockaddr, family, timeout):
        super().__init__(host, port, timeout=timeout)
        self._sockaddr, self._family = sockaddr, family

    def connect(self):
        self.sock = socket.socket(self._family, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._sockaddr)


class _PinnedTLSConnection(_PinnedConnection):
    def connect(self):
        super().connect()
        # The certificate is checked against the host name, as a browser would.
        self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=self.host)


def _get(url: str, deadline: float) -> tuple[int, dict, bytes]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise _refuse("fetch_scheme", f"{url}: only http and https URLs can be fetched")
    if not parts.hostname:
        raise _refuse("fetch_url", f"{url}: the URL has no host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    family, sockaddr = _checked_address(parts.hostname, port)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _refuse("fetch_timeout", f"{url}: no answer within {settings.FETCH_TIMEOUT_SECONDS} seconds")
    cls = _PinnedTLSConnection if parts.scheme == "https" else _PinnedConnection
    conn = cls(parts.hostname, port, sockaddr=sockaddr, family=family, timeout=remaining)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    limit = settings.FETCH_MAX_BYTES
    try:
        conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "text/html, text/plain"})
        response = conn.getresponse()
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > limit:
            raise _refuse("fetch_too_large", f"{url}: {length} bytes is larger than the {limit}-byte limit")
        chunks, size = [], 0
        while chunk := response.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise _refuse("fetch_too_large", f"{url}: the page is larger than the {limit}-byte limit")
            if time.monotonic() > deadline:
                raise TimeoutError
            chunks.append(chunk)
        return response.status, {k.lower(): v for k, v in response.getheaders()}, b"".join(chunks)
    except TimeoutError as exc:
        raise _refuse("fetch_timeout", f"{url}: no answer within {settings.FETCH_TIMEOUT_SECONDS} seconds") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise _refuse("fetch_failed", f"{url}: the site could not be read ({exc})") from exc
    finally:
        conn.close()


def fetch(url: str) -> Page:
    """GET `url` within the limits above, following up to five redirects (each one checked)."""
    deadline = time.monotonic() + settings.FETCH_TIMEOUT_SECONDS
    for _ in range(MAX_REDIRECTS + 1):
        status, headers, body = _get(url, deadline)
        if status in (301, 302, 303, 307, 308) and headers.get("location"):
            url = urljoin(url, headers["location"])
            continue
        if status != 200:
            raise _refuse("fetch_status", f"{url}: the site answered {status}")
        return Page(url=url, body=body, content_type=headers.get("content-type", ""))
    raise _refuse("fetch_redirects", f"{url}: more than {MAX_REDIRECTS} redirects")


def extract_article(html: str | bytes, *, url: str | None = None) -> Article:
    """The main text and metadata of an article page (trafilatura); empty text when none is found."""
    found = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    if found is None:
        return Article(text="", title="", outlet="", author="", published_on=None)
    published_on = None
    if found.date:
        try:
            published_on = date.fromisoformat(found.date[:10])
        except ValueError:
            published_on = None
    return Article(
        text=found.text or "",
        title=(found.title or "")[:300],
        outlet=(found.sitename or "")[:200],
        author=(found.author or "")[:200],
        published_on=published_on,
    )
