"""E-mail settings come from the environment: production sends over the SMTP server it is
given, local writes files unless told otherwise, tests keep e-mails in memory."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
PRINT_SETTINGS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, "
    "s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.EMAIL_TIMEOUT, s.DEFAULT_FROM_EMAIL)"
)


def settings_of(module: str, **variables) -> subprocess.CompletedProcess:
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_EMAIL") and key != "DJANGO_DEFAULT_FROM_EMAIL"
    }
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": module,
        "DJANGO_SECRET_KEY": "k" * 60,
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_production_reads_the_smtp_server_from_the_environment():
    result = settings_of(
        "config.settings.production",
        DJANGO_EMAIL_HOST="smtp.example.com",
        DJANGO_EMAIL_PORT="587",
        DJANGO_EMAIL_HOST_USER="billing",
        DJANGO_EMAIL_HOST_PASSWORD="s3cret",
        DJANGO_EMAIL_USE_TLS="true",
        DJANGO_EMAIL_TIMEOUT="12",
        DJANGO_DEFAULT_FROM_EMAIL="invoices@example.com",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend", "smtp.example.com", "587", "billing",
        "s3cret", "True", "12", "invoices@example.com",
    ]  # fmt: skip


def test_production_refuses_tls_and_ssl_at_once():
    result = settings_of(
        "config.settings.production", DJANGO_EMAIL_USE_TLS="1", DJANGO_EMAIL_USE_SSL="1"
    )
    assert result.returncode != 0 and "not both" in result.stderr


def test_local_writes_emails_to_files_unless_told_otherwise():
    assert settings_of("config.settings.local").stdout.split()[0] == (
        "django.core.mail.backends.filebased.EmailBackend"
    )
    console = "django.core.mail.backends.console.EmailBackend"
    result = settings_of("config.settings.local", DJANGO_EMAIL_BACKEND=console)
    assert result.stdout.split()[0] == console


def test_tests_keep_emails_in_memory():
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
