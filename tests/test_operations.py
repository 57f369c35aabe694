"""Production readiness: the deploy check, the health endpoint, structured logs."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from unittest.mock import patch

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.urls import reverse

from config.logging import JsonFormatter

ROOT = Path(__file__).resolve().parents[1]


def test_production_settings_pass_the_deploy_check():
    # The browser tests allow async-unsafe calls in this process; a deployment never does.
    inherited = {
        key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "k" * 20 + "-production-secret-key-with-enough-entropy-1234567890",
        "DJANGO_ALLOWED_HOSTS": "billing.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


PRODUCTION_PAGE_CHECK = """
import re
import django
django.setup()
from django.test import Client
client = Client()
for path in ("/accounts/login/", "/healthz"):
    response = client.get(path, secure=True, HTTP_HOST="billing.example.com")
    print(path, response.status_code)
page = client.get("/accounts/login/", secure=True, HTTP_HOST="billing.example.com")
print("hashed", re.search(r"/static/vendor/bootstrap/bootstrap\\.min\\.[0-9a-f]{12}\\.css", page.content.decode()) is not None)
"""


@pytest.mark.slow
def test_the_production_deploy_collects_static_files_and_serves_pages(tmp_path):
    """collectstatic with the manifest storage of the production settings, then the log-in page
    (which names hashed static files) answers 200, not 500."""
    inherited = {
        key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "k" * 20 + "-production-secret-key-with-enough-entropy-1234567890",
        "DJANGO_ALLOWED_HOSTS": "billing.example.com",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()
    served = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PAGE_CHECK],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert served.returncode == 0, served.stdout + served.stderr
    assert "/accounts/login/ 200" in served.stdout
    assert "/healthz 200" in served.stdout
    assert "hashed True" in served.stdout  # pages name the collected, hashed files


@pytest.fixture
def database_down():
    """Every new cursor on the default connection fails as when the server does not answer."""

    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    return patch.object(connection, "cursor", side_effect=refuse)


@pytest.mark.django_db
def test_health_endpoint_needs_no_login(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_health_endpoint_answers_503_when_the_database_does_not(client, database_down):
    with database_down:
        response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_health_endpoint_with_a_session_cookie_while_the_database_answers(client, user_with_role):
    client.force_login(user_with_role("finance_clerk"))
    assert settings.SESSION_COOKIE_NAME in client.cookies
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_health_endpoint_with_a_session_cookie_answers_503_when_the_database_does_not(
    client, user_with_role, database_down
):
    # A load balancer or a monitor may forward a browser's session cookie.
    client.force_login(user_with_role("finance_clerk"))
    with database_down:
        response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


def test_logs_are_json_lines():
    record = logging.LogRecord(
        "invoicing", logging.WARNING, __file__, 1, "Import %s failed", ("7",), None
    )
    record.batch = 7
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["level"], entry["logger"], entry["message"], entry["batch"]) == (
        "WARNING",
        "invoicing",
        "Import 7 failed",
        7,
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's JIT")
@pytest.mark.django_db(databases=["default", "progress"])
def test_the_applications_connections_run_without_jit():
    """JIT compiled "billable now"'s share figures for 1.9 s, for a query that runs in 0.2 s
    (bench_pages_0_1): every connection the application opens, the import progress one too,
    says jit = off."""
    from django.db import connections

    for alias in ("default", "progress"):
        with connections[alias].cursor() as cursor:
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "off", alias
