"""The package tests' own settings: a plain unfold-themed admin site with otrs-customer-admin installed.

No ``OTRS_CUSTOMER_ADMIN`` here: the tests see the package's defaults. The example site's extras
(its ``example_project.demo`` app with the open-tickets-by-priority widget and ``demo_superuser``)
are not installed; a test that needs them asks for the ``example_site`` fixture (``conftest.py``),
which turns on ``EXAMPLE_SITE`` below.

``DATABASE_URL`` picks the database as in the example site (SQLite, in memory, by default).
"""

import os

from django.utils.translation import gettext_lazy as _

import example_project.settings
from otrs_customer_admin.admin.navigation import sidebar_group

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost", "[::1]"]

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
    # The database task queue's tables; the tests that run jobs turn its backend on (TASKS).
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

ROOT_URLCONF = "tests.urls"

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

DATABASES = {"default": example_project.settings.database_from_url(os.environ.get("DATABASE_URL") or "sqlite://")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = []

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A host site's sidebar with the package's navigation group (DESIGN.md, extension points).
UNFOLD = {
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": True,
        "navigation": [sidebar_group()],
    },
}

# What the ``example_site`` fixture puts on top, taken from the example site's settings: its
# INSTALLED_APPS (with its demo app), its OTRS_CUSTOMER_ADMIN (with its widget) and the
# translations of its own strings.
EXAMPLE_SITE = {
    "INSTALLED_APPS": example_project.settings.INSTALLED_APPS,
    "OTRS_CUSTOMER_ADMIN": example_project.settings.OTRS_CUSTOMER_ADMIN,
    "LOCALE_PATHS": example_project.settings.LOCALE_PATHS,
}
