"""Production mode: a weak configuration refuses to start; the documented one passes check --deploy."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

STRONG_KEY = secrets.token_urlsafe(50)


def run_python(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "PUBLISHER_URL", "PUBLISHER_NAME"}
    }
    environ.update(env)
    return subprocess.run(
        [sys.executable, *args], cwd=settings.BASE_DIR, env=environ, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    "secret_key",
    [None, "", "short-key", "django-insecure-" + "x" * 60, "a" * 60],
    ids=["missing", "empty", "short", "django-insecure", "low-variety"],
)
def test_production_refuses_to_start_without_a_strong_secret_key(secret_key):
    env = {"DEBUG": "0", "ALLOWED_HOSTS": "example.org"}
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    done = run_python("-c", "import django; django.setup()", DJANGO_SETTINGS_MODULE="tracker.settings", **env)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert "SECRET_KEY" in done.stderr


def test_a_malformed_boolean_is_a_startup_error():
    done = run_python("-c", "import django; django.setup()", DJANGO_SETTINGS_MODULE="tracker.settings", DEBUG="maybe")
    assert done.returncode != 0
    assert "DEBUG must be a boolean" in done.stderr


def test_documented_production_settings_pass_check_deploy():
    done = run_python(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="example.org",
        CSRF_TRUSTED_ORIGINS="https://example.org",
        BEHIND_PROXY="1",
        PUBLISHER_URL="https://example.org",
        PUBLISHER_NAME="Example Desk",
    )
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "example.org",
    "CSRF_TRUSTED_ORIGINS": "https://example.org",
    "BEHIND_PROXY": "1",
}


@pytest.mark.parametrize(
    ("publisher", "error"),
    [
        ({}, "api.E001"),
        ({"PUBLISHER_NAME": "Example Desk"}, "api.E002"),
        ({"PUBLISHER_NAME": "Example Desk", "PUBLISHER_URL": "http://127.0.0.1:8000"}, "api.E002"),
        ({"PUBLISHER_NAME": "Example Desk", "PUBLISHER_URL": "http://example.org"}, "api.E002"),
        ({"PUBLISHER_NAME": " ", "PUBLISHER_URL": "https://example.org"}, "api.E001"),
    ],
    ids=["neither", "no-url", "local-url", "not-https", "blank-name"],
)
def test_production_check_deploy_requires_the_publisher(publisher, error):
    done = run_python("manage.py", "check", "--deploy", **PRODUCTION, **publisher)
    assert done.returncode != 0
    assert error in done.stderr


def test_a_malformed_atom_tag_date_is_a_startup_error():
    done = run_python(
        "-c", "import django; django.setup()", DJANGO_SETTINGS_MODULE="tracker.settings", ATOM_TAG_DATE="soon"
    )
    assert done.returncode != 0
    assert "ATOM_TAG_DATE" in done.stderr


def test_local_mode_needs_no_environment_at_all():
    done = run_python("-c", "import django; django.setup()", DJANGO_SETTINGS_MODULE="tracker.settings")
    assert done.returncode == 0, done.stderr


def test_demo_accounts_are_off_in_production():
    done = run_python(
        "-c",
        "import django; django.setup(); from django.conf import settings; print(settings.DEMO_ACCOUNTS)",
        DJANGO_SETTINGS_MODULE="tracker.settings",
        DEBUG="0",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="example.org",
    )
    assert done.stdout.strip() == "False", done.stderr
