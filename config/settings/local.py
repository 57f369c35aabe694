"""Local development: debug on, SQLite unless DATABASE_URL says otherwise."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
# E-mails are printed to the console unless DJANGO_EMAIL_BACKEND names another backend, e.g.
# django.core.mail.backends.filebased.EmailBackend (files in DJANGO_EMAIL_FILE_PATH) or the
# SMTP backend with the DJANGO_EMAIL_* settings of base.py.
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
