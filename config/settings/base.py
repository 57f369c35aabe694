"""Settings shared by every environment. Everything that differs is read from the environment."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-local-development-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "config.admin.BackOfficeAdminConfig",  # the admin, for the Admin role only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "axes",
    "django_htmx",
    "django_filters",
    "django_countries",
    "import_export",
    "django_tasks",
    "django_tasks_db",
    "sequences",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "csp",
    "collaboration",
    "contracts",
    "funding",
    "invoicing",
]

MIDDLEWARE = [
    # Answers /healthz before anything that may need the database (sessions, log-in).
    "config.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # AxesMiddleware must be last: it turns a lock-out into a response.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy (django-csp) on every response: scripts only from our own static files,
# never inline (behaviour is bound through data attributes in static/js/app.js), no eval, no
# plugins, no framing. Styles allow inline style attributes (templates and htmx's indicator
# style use them; they cannot run code). docs/security.md.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "collaboration.context_processors.notifications",
            ],
        },
    },
]

# SQLite file by default (zero set-up); PostgreSQL when DATABASE_URL is set.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        # A kept connection is tested before each request uses it: after a database restart
        # the first request opens a new one instead of failing (issue 13).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the in-process task runner and the web server share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Behind PgBouncer in transaction mode a server-side cursor (the streamed CSV exports'
    # `.iterator()`) cannot outlive its transaction: set this to use client-side cursors.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
        "DATABASE_DISABLE_SERVER_SIDE_CURSORS", False
    )
    # PostgreSQL's JIT compiles a query whose estimated cost passes jit_above_cost: the share
    # figures' correlated subqueries look expensive to the planner, and compiling them took
    # 1.9 s for a query that runs in 0.2 s ("billable now", 100 contracts). The application's
    # queries are short: no JIT on its connections. Behind PgBouncer, which refuses startup
    # options, set DATABASE_JIT_OFF=0 and `ALTER ROLE <app role> SET jit = off` instead.
    if env_bool("DATABASE_JIT_OFF", True):
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # A second connection to the same database: import progress is written on it, so it is
    # visible while the import's own transaction is still open. Tests share the default one.
    DATABASES["progress"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}

# The owner's user and password for `manage.py migrate` and `create_app_role`; the application
# itself connects with DATABASE_URL as a role that owns nothing (docs/database-roles.md).
MIGRATION_DATABASE_URL = os.environ.get("MIGRATION_DATABASE_URL", "")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # AxesStandaloneBackend must come first: it refuses locked-out credentials.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed logins: five failures lock the username/address pair for 15 minutes; 20 failures from
# one address under any user names (password spraying) lock the address (config/login_throttle.py).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_ADDRESS_FAILURE_LIMIT = int(os.environ.get("AXES_ADDRESS_FAILURE_LIMIT", "20"))
AXES_HANDLER = "config.login_throttle.AddressThrottlingHandler"
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("sv", _("Swedish")),
    ("da", _("Danish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Europe/Stockholm")
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
# Where the site is reached, for links in e-mails (notifications).
SITE_URL = os.environ.get("DJANGO_SITE_URL", "http://127.0.0.1:8000")

# E-mail (invoices to customers, reminders, notifications; docs/sending.md). Read from the
# environment here; production sends over SMTP, local prints to the console unless
# DJANGO_EMAIL_BACKEND says otherwise, tests keep messages in memory (locmem).
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("DJANGO_EMAIL_USE_SSL", False)
# A mail server that does not answer fails the e-mail (logged, retried by the clerk) instead
# of holding a worker for ever.
EMAIL_TIMEOUT = int(os.environ.get("DJANGO_EMAIL_TIMEOUT", "30"))
EMAIL_FILE_PATH = os.environ.get("DJANGO_EMAIL_FILE_PATH", str(BASE_DIR / "sent-emails"))
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "billing@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Contract documents (statement of work, signed contract) up to this size.
CONTRACT_DOCUMENT_MAX_MB = int(os.environ.get("CONTRACT_DOCUMENT_MAX_MB", "20"))

# At most this many people can be @mentioned (and so notified) by one comment.
COMMENT_MENTIONS_MAX = int(os.environ.get("COMMENT_MENTIONS_MAX", "20"))

MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Background work: the Django Tasks API. In-process by default; set TASKS_BACKEND=database
# and run `manage.py db_worker` processes to move the work out of the web process.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "immediate")
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if TASKS_BACKEND == "database"
            else "django_tasks.backends.immediate.ImmediateBackend"
        ),
    }
}

# Jobs that recover (docs/operations.md): a running import, billing run or PDF batch whose
# heartbeat is older than JOB_STALE_AFTER has lost its worker. `run_worker` looks for such jobs
# every JOB_SWEEP_SECONDS: billing runs and PDF batches are resumed (at most JOB_MAX_ATTEMPTS
# times), imports are marked failed and can be checked again. /healthz answers 503 when a task
# has waited in the queue longer than TASK_QUEUE_MAX_AGE (no worker is taking work).
JOB_STALE_AFTER = datetime.timedelta(seconds=int(os.environ.get("JOB_STALE_AFTER_SECONDS", "600")))
JOB_SWEEP_SECONDS = int(os.environ.get("JOB_SWEEP_SECONDS", "60"))
JOB_MAX_ATTEMPTS = int(os.environ.get("JOB_MAX_ATTEMPTS", "3"))
TASK_QUEUE_MAX_AGE = datetime.timedelta(
    seconds=int(os.environ.get("TASK_QUEUE_MAX_AGE_SECONDS", "900"))
)
# Divisible jobs (docs/operations.md, "Scaling out"): a billing run is cut into chunks of this
# many contracts and a PDF batch into chunks of this many invoices; each chunk is its own task,
# claimed by whichever worker is free.
BILLING_RUN_CHUNK_CONTRACTS = int(os.environ.get("BILLING_RUN_CHUNK_CONTRACTS", "50"))
PDF_BATCH_CHUNK_INVOICES = int(os.environ.get("PDF_BATCH_CHUNK_INVOICES", "20"))

SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False
SIMPLE_HISTORY_REVERT_DISABLED = True

IMPORT_EXPORT_SKIP_ADMIN_LOG = True
# Import and export each need their own permission (invoicing.import_/export_projecttransaction).
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"

PAGE_SIZE = 25
# How old the dashboard's billable figures may be before a view works them out again
# (invoicing/proposals/billable_figures.py): the page says when they were worked out.
BILLABLE_FIGURES_MAX_AGE_MINUTES = int(os.environ.get("BILLABLE_FIGURES_MAX_AGE_MINUTES", "10"))

# JSON API: token or session authentication, exactly the permissions of the UI (model
# permissions, view_ for reads), JSON errors with field-level messages, OpenAPI schema.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["invoicing.api.permissions.RolePermissions"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "invoicing.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Project billing API",
    "DESCRIPTION": "Contracts, funding, transactions, proposals and invoices.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Bank files have a "kind" and a "status" too: name their enums, and keep the transaction
    # kind's name as it was.
    "ENUM_NAME_OVERRIDES": {
        "KindEnum": "contracts.models.catalogue.TransactionKind",
        "BankFileKindEnum": "invoicing.receivables.bank_files.models.BankFileKind",
        "BankFileStatusEnum": "invoicing.receivables.bank_files.models.BankFileStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
