"""bench.editor times one client's requests one after another on one keep-alive connection."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.editor import measure


class _Page(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn's gthread workers
    seen: list[tuple[str, str | None]] = []

    def do_GET(self):
        _Page.seen.append((self.path, self.headers.get("Cookie")))
        body = b"x" * 1234
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_measure_sends_the_session_and_counts_only_timed_requests():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Page.seen.clear()
    try:
        result = measure(server.server_address[1], "sessionid=abc", "/admin/claims/claim/", requests=5, warmup=2)
    finally:
        server.shutdown()
    assert _Page.seen == [("/admin/claims/claim/", "sessionid=abc")] * 7  # 2 warm-up + 5 timed
    assert result["requests"] == 5 and result["statuses"] == {"200": 5} and result["bytes"] == 1234
    assert 0 < result["min_ms"] <= result["p50_ms"] <= result["p90_ms"]
