"""Local development: debug on, SQLite unless DATABASE_URL says otherwise."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
# E-mails are written as files to DJANGO_EMAIL_FILE_PATH (default sent-emails/, one file per
# run of the server) rather than sent: invoice e-mails carry PDFs, which would flood the
# console. DJANGO_EMAIL_BACKEND names another backend, e.g. the console one
# (django.core.mail.backends.console.EmailBackend) or SMTP with the DJANGO_EMAIL_* settings.
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
)
