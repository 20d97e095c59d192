"""A loopback partner: an HTTP server on 127.0.0.1 that verifies every webhook it receives."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from webhooks import services


@dataclass
class Received:
    webhook_id: str
    body: dict | None
    verified: bool
    headers: dict[str, str]


@dataclass
class Receiver:
    """What the partner got; `status` is its answer, `stall` holds the first request until set."""

    url: str = ""
    secret: str = ""
    status: int = 204
    stall: threading.Event | None = None
    received: list[Received] = field(default_factory=list)
    first_arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> list[str]:
        with self.lock:
            return [r.webhook_id for r in self.received]

    def events(self) -> dict[str, dict]:
        """Deduplicated on webhook-id, as the README tells partners to do."""
        with self.lock:
            return {r.webhook_id: r.body for r in self.received}


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                body = Webhook(receiver.secret).verify(raw, headers)
                verified = True
            except WebhookVerificationError:
                body, verified = None, False
            with receiver.lock:
                receiver.received.append(Received(headers.get("webhook-id", ""), body, verified, headers))
                first = len(receiver.received) == 1
            receiver.first_arrived.set()
            if first and receiver.stall is not None:
                receiver.stall.wait(60)
            self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def receiver():
    box = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(box))
    server.daemon_threads = True
    box.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield box
    if box.stall is not None:
        box.stall.set()
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    # The receiver is on loopback, which production refuses; a short timeout keeps failures quick.
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    settings.WEBHOOK_RETRY_SCHEDULE = [5, 30, 120, 600, 3600]


@pytest.fixture
def endpoint(receiver, editor):
    made = services.endpoint_create(name="Partner", url=receiver.url, by=editor)
    receiver.secret = made.secret
    return made
