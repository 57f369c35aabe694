"""Production readiness: the deploy check, the health endpoint, structured logs."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
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


@pytest.mark.django_db
def test_health_endpoint_needs_no_login(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


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
