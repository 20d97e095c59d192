"""Production mode: each security switch comes from the environment with a safe default, and
bin/start (the one documented start command) collects static files and migrates before serving."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from django.conf import settings

STRONG_KEY = secrets.token_urlsafe(50)
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "example.org",
    # Required with DEBUG off (api/checks.py): check --deploy, and so bin/start, stop without them.
    "PUBLISHER_URL": "https://example.org",
    "PUBLISHER_NAME": "Example Desk",
}
SWITCHES = [
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
]
SHOWN = [*SWITCHES, "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER"]


def clean_environ(**env: str) -> dict[str, str]:
    """The test process's environment less anything the settings read for these switches."""
    dropped = {
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "BEHIND_PROXY",
        "PROXY_SSL_HEADER",
        "DATABASE_URL",
        "PUBLISHER_URL",
        "PUBLISHER_NAME",
        *SHOWN,
    }
    environ = {k: v for k, v in os.environ.items() if k not in dropped}
    environ.update(env)
    return environ


def loaded_settings(**env: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name, None) for name in {SHOWN!r}}}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=clean_environ(DJANGO_SETTINGS_MODULE="tracker.settings", **env),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_production_mode_turns_every_switch_on_by_default():
    loaded = loaded_settings(**PRODUCTION)
    assert all(loaded[name] is True for name in SWITCHES), loaded
    assert loaded["SECURE_HSTS_SECONDS"] == 31536000
    assert loaded["SECURE_PROXY_SSL_HEADER"] is None  # the proxy header is trusted only when told


def test_local_mode_turns_every_switch_off_by_default():
    loaded = loaded_settings()
    assert all(loaded[name] is False for name in SWITCHES), loaded
    assert loaded["SECURE_HSTS_SECONDS"] == 0


def test_every_switch_can_be_turned_off_in_production():
    loaded = loaded_settings(**PRODUCTION, **dict.fromkeys(SWITCHES, "0"))
    assert all(loaded[name] is False for name in SWITCHES), loaded


def test_a_staging_host_behind_a_tls_proxy_trusts_the_named_header_and_sets_its_own_hsts():
    loaded = loaded_settings(
        **PRODUCTION, BEHIND_PROXY="1", PROXY_SSL_HEADER="X-Forwarded-Scheme", SECURE_HSTS_SECONDS="300"
    )
    assert loaded["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_SCHEME", "https"]
    assert loaded["SECURE_HSTS_SECONDS"] == 300


def test_a_staging_host_without_hsts_preload_gets_only_djangos_warnings_about_it():
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=settings.BASE_DIR,
        env=clean_environ(**PRODUCTION, BEHIND_PROXY="1", SECURE_HSTS_PRELOAD="0", SECURE_HSTS_INCLUDE_SUBDOMAINS="0"),
        capture_output=True,
        text=True,
        check=False,
    )
    # bin/start runs this check: warnings are printed, only errors stop the start.
    assert done.returncode == 0, done.stderr
    assert "(security.W005)" in done.stderr
    assert "(security.W021)" in done.stderr
    assert "identified 2 issues" in done.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, dict, bytes]:
    # The proxy's word that the client spoke https: the staging setup this command is for.
    request = urllib.request.Request(url, headers={"Host": "example.org", "X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_bin_start_collects_static_files_and_migrates_before_serving(tmp_path):
    port = free_port()
    env = clean_environ(
        **PRODUCTION,
        BEHIND_PROXY="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        REDIS_URL="",
    )
    log = open(tmp_path / "start.log", "w+")  # noqa: SIM115 (closed below, after the server stops)
    server = subprocess.Popen([str(settings.BASE_DIR / "bin" / "start")], env=env, stdout=log, stderr=log)
    try:
        # check, collectstatic (compressing every file) and migrate: slow on a busy machine.
        deadline = time.monotonic() + 240
        while True:
            try:
                status, _, body = fetch(f"http://127.0.0.1:{port}/readyz")
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "start.log").read_text()
                assert time.monotonic() < deadline, (tmp_path / "start.log").read_text()
                time.sleep(0.3)
        # Migrated: the database check reads a table; collected: the docs page needs the manifest.
        assert status == 200, body
        assert json.loads(body)["checks"]["tasks"]["status"] == "ok"  # a table only migrate makes
        assert (tmp_path / "static" / "staticfiles.json").exists()
        status, headers, _ = fetch(f"http://127.0.0.1:{port}/api/docs/")
        assert status == 200
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def test_bin_start_refuses_to_start_without_the_publisher(tmp_path):
    env = clean_environ(
        **{k: v for k, v in PRODUCTION.items() if not k.startswith("PUBLISHER_")},
        BEHIND_PROXY="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    done = subprocess.run(
        [str(settings.BASE_DIR / "bin" / "start")], env=env, capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode != 0
    assert "api.E001" in done.stderr and "api.E002" in done.stderr
    assert not (tmp_path / "db.sqlite3").exists()  # stopped before migrating
