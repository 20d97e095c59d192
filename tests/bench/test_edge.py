"""The edge-cache configuration the README shows is the one the benchmark runs, and it is valid."""

import shutil
import subprocess
from pathlib import Path

import pytest

from bench import edge


def test_render_fills_every_placeholder(tmp_path):
    text = edge.render(listen="127.0.0.1:8080", upstream="127.0.0.1:8000", cache_dir=tmp_path / "cache")
    assert "listen 127.0.0.1:8080;" in text
    assert "server 127.0.0.1:8000;" in text
    assert f"proxy_cache_path {tmp_path / 'cache'} " in text
    assert "@" not in "".join(line.split("#")[0] for line in text.splitlines())


def test_the_proxy_revalidates_and_never_caches_beyond_what_the_app_declares():
    text = edge.CONFIG.read_text()
    assert "proxy_cache_revalidate on;" in text
    # Lifetimes come from the app's Cache-Control only.
    assert "proxy_cache_valid" not in "".join(line.split("#")[0] for line in text.splitlines())
    assert "proxy_ignore_headers" not in text


def test_max_age_is_read_from_cache_control():
    assert edge.max_age("public, max-age=10, stale-while-revalidate=30") == 10
    assert edge.max_age("private, no-store") is None


@pytest.mark.skipif(not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()), reason="nginx not installed")
def test_nginx_accepts_the_rendered_configuration(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    process, proxy_port, static_port = edge.start_nginx(nginx, tmp_path / "run", upstream_port=edge.free_port())
    try:
        check = subprocess.run(
            [nginx, "-t", "-p", str(tmp_path / "run"), "-c", str(tmp_path / "run" / "nginx.conf")],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stderr
        (tmp_path / "run" / "static" / "x.json").write_bytes(b"{}")
        status, _, body = edge.get(static_port, "/x.json")
        assert (status, body) == (200, b"{}")
        # Nothing listens upstream: the proxy answers 502 itself, and caches nothing.
        status, headers, _ = edge.get(proxy_port, "/api/claims/")
        assert status == 502
        assert headers["x-cache-status"] == "MISS"
    finally:
        edge.stop(process)
