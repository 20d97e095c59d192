"""A loopback HTTP server for the tests that fetch pages: saved article HTML under tests/pages/,
plus a few misbehaving routes (slow, oversized, redirects)."""

from __future__ import annotations

import contextlib
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGES = Path(__file__).parent / "pages"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass

    def _send(self, status: int, headers: dict, body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up first (the timeout and size tests)
            self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path in self.server.routes:
            self._send(*self.server.routes[path])
        elif path.startswith("/pages/") and (PAGES / path.removeprefix("/pages/")).is_file():
            body = (PAGES / path.removeprefix("/pages/")).read_bytes()
            self._send(200, {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body))}, body)
        elif path == "/slow":
            time.sleep(3)
            self._send(200, {"Content-Type": "text/plain"}, b"late")
        elif path == "/endless":
            # No Content-Length: the size cap must stop the reading, not the header.
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(1000):
                    self.wfile.write(b"x" * 1024)
        else:
            self._send(404, {"Content-Type": "text/plain"}, b"not found")


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client hanging up early is what several tests do on purpose


@contextmanager
def serve_pages(host: str = "127.0.0.1"):
    """Yield (base_url, routes); `routes[path] = (status, headers, body)` adds a route."""
    server = _QuietServer((host, 0), _Handler)
    server.daemon_threads = True
    server.routes = {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}", server.routes
    finally:
        server.shutdown()
        server.server_close()
