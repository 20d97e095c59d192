"""Fetching articles by URL: the limits (scheme, private addresses, timeout, size) and extraction."""

import pytest

from claims import fetch
from tests.pagesserver import serve_pages


@pytest.fixture
def pages():
    with serve_pages() as (base, routes):
        yield base, routes


@pytest.fixture
def allow_private(settings):
    settings.FETCH_ALLOW_PRIVATE = True


def test_a_saved_article_is_fetched_and_extracted(pages, allow_private):
    base, _ = pages
    page = fetch.fetch(f"{base}/pages/daily-ledger-call-center.html")
    article = fetch.extract_article(page.body, url=page.url)
    assert article.title == "Call center paid inmates pennies for campaign calls, records show"
    assert article.outlet == "The Daily Ledger"
    assert article.author == "Dana Whitfield"
    assert str(article.published_on) == "2020-01-03"
    assert "paid the state Department of Corrections $7.25 an hour" in article.text
    assert "Advertisement" not in article.text and "All rights reserved" not in article.text


def test_redirects_are_followed(pages, allow_private):
    base, routes = pages
    routes["/short"] = (302, {"Location": "/pages/harbor-times-prison-labor.html"}, b"")
    page = fetch.fetch(f"{base}/short")
    assert page.url == f"{base}/pages/harbor-times-prison-labor.html"


@pytest.mark.parametrize("url", ["ftp://example.org/a.html", "file:///etc/passwd", "javascript:alert(1)", "gopher://x"])
def test_only_http_and_https_are_fetched(url):
    with pytest.raises(fetch.FetchRefused) as excinfo:
        fetch.fetch(url)
    assert excinfo.value.rule == "fetch_scheme"


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "10.1.2.3", "192.168.0.1", "169.254.169.254", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0"],
)
def test_private_loopback_and_link_local_addresses_are_refused_by_default(host):
    with pytest.raises(fetch.FetchRefused) as excinfo:
        fetch.fetch(f"http://{host}/latest/meta-data/")
    assert excinfo.value.rule == "fetch_private_address"


def test_the_address_is_checked_after_dns_resolution(monkeypatch):
    # A public-looking name that resolves to a private address is refused all the same.
    monkeypatch.setattr(fetch.socket, "getaddrinfo", lambda host, port, **kw: [(2, 1, 6, "", ("192.168.1.20", port))])
    with pytest.raises(fetch.FetchRefused, match=r"resolves to 192\.168\.1\.20"):
        fetch.fetch("http://news.example.org/story")


def test_a_redirect_to_a_private_address_is_refused(pages, monkeypatch):
    base, routes = pages
    port = base.rsplit(":", 1)[1]
    # Treat the test server's own address as public, and another loopback address as what it is.
    monkeypatch.setattr(fetch, "is_public_address", lambda address: address == "127.0.0.1")
    routes["/hop"] = (302, {"Location": f"http://127.0.0.2:{port}/pages/daily-ledger-call-center.html"}, b"")
    with pytest.raises(fetch.FetchRefused) as excinfo:
        fetch.fetch(f"{base}/hop")
    assert excinfo.value.rule == "fetch_private_address"


def test_a_slow_site_times_out(pages, allow_private, settings):
    settings.FETCH_TIMEOUT_SECONDS = 1
    base, _ = pages
    with pytest.raises(fetch.FetchRefused) as excinfo:
        fetch.fetch(f"{base}/slow")
    assert excinfo.value.rule == "fetch_timeout"


def test_a_page_over_the_size_cap_is_refused_by_its_header(pages, allow_private, settings):
    settings.FETCH_MAX_BYTES = 1000
    base, _ = pages
    with pytest.raises(fetch.FetchRefused) as excinfo:
        fetch.fetch(f"{base}/pages/daily-ledger-call-center.html")
    assert excinfo.value.rule == "fetch_too_large"


def test_a_page_over_the_size_cap_is_refused_while_reading(pages, allow_private, settings):
    settings.FETCH_MAX_BYTES = 100_000
    base, _ = pages
    with pytest.raises(fetch.FetchRefused, match="larger than the 100000-byte limit") as excinfo:
        fetch.fetch(f"{base}/endless")
    assert excinfo.value.rule == "fetch_too_large"


def test_too_many_redirects_are_refused(pages, allow_private):
    base, routes = pages
    routes["/loop"] = (302, {"Location": "/loop"}, b"")
    with pytest.raises(fetch.FetchRefused) as excinfo:
        fetch.fetch(f"{base}/loop")
    assert excinfo.value.rule == "fetch_redirects"


def test_an_error_status_is_refused(pages, allow_private):
    base, _ = pages
    with pytest.raises(fetch.FetchRefused, match="answered 404"):
        fetch.fetch(f"{base}/missing")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::6810:84e5", True),
        ("127.0.0.1", False),
        ("10.0.0.8", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # shared address space (CGNAT)
        ("224.0.0.1", False),  # multicast
        ("::1", False),
        ("fe80::1%eth0", False),  # link-local with a scope id
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("::ffff:10.1.2.3", False),
    ],
)
def test_one_rule_says_which_addresses_the_tracker_may_connect_to(address, public):
    assert fetch.is_public_address(address) is public


def test_webhooks_refuse_what_the_fetcher_refuses(settings):
    from webhooks.addresses import refusal

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    assert refusal("http://[::ffff:127.0.0.1]/hook", resolve=False)
    assert refusal("http://224.0.0.1/hook", resolve=False)
    assert refusal("http://93.184.215.14/hook", resolve=False) == ""
