"""Settings of the example site: otrs-customer-admin in an unfold-themed admin.

SQLite by default; ``DATABASE_URL`` (``postgres://user:pass@host:port/name`` or
``sqlite:////absolute/path.db``, read by dj-database-url) points it at another database.
``CUSTOMER_GROUP_SUPPORT=1`` turns customer groups on (the demo data links its customers to the
groups "First level" and "Key accounts").
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from otrs_customer_admin.admin.navigation import sidebar_group

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.inlines",
    "unfold.contrib.import_export",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "import_export",
    "django_countries",
    "auditlog",
    "otrs_customer_admin",
    "example_project.demo",
    # The database task queue: imports, exports and syncs run as jobs in manage.py db_worker.
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "example_project.wsgi.application"


# SQLite has one writer at a time. A save waits up to "timeout" seconds for the write lock (an
# import or a sync may hold it) instead of failing at once; "IMMEDIATE" takes the lock when a
# transaction starts, so that a transaction that has read never fails when it comes to write;
# WAL lets pages be read while another process writes (Django 5.1+; see docs/performance.md).
SQLITE_OPTIONS = {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL"}


def database_from_url(url):
    """A DATABASES entry from a database URL (dj-database-url), with SQLITE_OPTIONS under a SQLite one's own."""
    database = dj_database_url.parse(url)
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["OPTIONS"] = {**SQLITE_OPTIONS, **database.get("OPTIONS", {})}
    return database


DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}

AUTH_PASSWORD_VALIDATORS = []

# English by default; LocaleMiddleware follows the browser's Accept-Language, and the language
# menu (UNFOLD["SHOW_LANGUAGES"], posting to Django's set_language at /i18n/setlang/) remembers a
# choice in a cookie. Dates, numbers and durations follow the active language's formats.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
# The example site's own strings (its title, its widget, demo_superuser); the package ships its own.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "static"
# The job storage (JOB_STORAGE, the storage "default"): the jobs' uploads and results.
MEDIA_ROOT = BASE_DIR / "media"

# Imports, exports and syncs in the admin run as background jobs (docs/jobs.md) on the database
# queue; ``manage.py db_worker`` runs them (``make demo`` starts it beside the server).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

OTRS_CUSTOMER_ADMIN = {
    # Off unless the environment says CUSTOMER_GROUP_SUPPORT=1 (docs/permissions.md).
    "CUSTOMER_GROUP_SUPPORT": os.environ.get("CUSTOMER_GROUP_SUPPORT", "0") == "1",
    # The example site's own widget, placed right after Customer Information.
    "WIDGETS": ["example_project.demo.widgets.OpenTicketsByPriorityWidget"],
    "CUSTOMER_WIDGETS": [
        "customer-information",
        "open-tickets-by-priority",
        "escalations",
        "reminders",
        "open-tickets",
        "customer-users",
        "history",
    ],
}

UNFOLD = {
    "SITE_TITLE": _("Example helpdesk"),
    "SITE_HEADER": _("Example helpdesk"),
    "SHOW_LANGUAGES": True,
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": True,
        "navigation": [sidebar_group()],
    },
}
