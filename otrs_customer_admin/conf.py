"""The package's settings: one dict, ``OTRS_CUSTOMER_ADMIN``, over documented defaults.

Read values as attributes of ``otrs_customer_admin.conf.settings``::

    from otrs_customer_admin.conf import settings
    settings.REMINDER_WINDOW

Values are looked up lazily and cached; the cache is dropped whenever Django's
``setting_changed`` signal fires, so ``override_settings`` works in tests.
"""

from datetime import timedelta

from django.conf import settings as django_settings
from django.core.signals import setting_changed
from django.dispatch import receiver

SETTING_NAME = "OTRS_CUSTOMER_ADMIN"

DEFAULTS = {
    # Where customers and customer users come from: key -> {"BACKEND": dotted path, ...}.
    # The first writable source is the default for new records.
    "DATA_SOURCES": {
        "database": {
            "BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource",
        },
    },
    # OTRS never deletes customers; a site may allow it (records with tickets or
    # customer users stay protected).
    "ALLOW_DELETE": False,
    # A "pending reminder" ticket is due when its pending time has passed or falls
    # within this window from now.
    "REMINDER_WINDOW": timedelta(hours=24),
    # The detail views' screen configuration: widget keys, in order, shown by
    # default. Every other registered widget is available to each admin user.
    "CUSTOMER_WIDGETS": [
        "customer-information",
        "escalations",
        "reminders",
        "open-tickets",
        "customer-users",
        "history",
    ],
    "CUSTOMER_USER_WIDGETS": ["customer-user-information", "open-tickets", "ticket-list", "history"],
    # Dotted paths of extra Widget classes to register.
    "WIDGETS": [],
    # Rows a list widget shows before it links to the full, filtered list.
    "WIDGET_ROWS": 10,
    # Customer Information's Map link; {address} is the URL-encoded address.
    "MAP_URL": "https://www.openstreetmap.org/search?query={address}",
    # Country of imported new records whose row has none (ISO code), unless the
    # import names one; Zammad's files have no country at all.
    "DEFAULT_COUNTRY": "",
    # Admin uploads: the largest file in bytes, and the most rows, taken in a browser.
    # Bigger files go through the import_customers / import_customer_users commands.
    "IMPORT_MAX_UPLOAD_SIZE": 20 * 1024 * 1024,
    "IMPORT_MAX_ROWS": 50_000,
    # How long an admin import's preview can be confirmed; its stored upload is deleted
    # after that by the next import or by manage.py clear_import_previews.
    "IMPORT_PREVIEW_TTL": timedelta(hours=1),
    # Excel workbooks, in the admin and the commands: the most bytes the parts read may
    # unpack to, and the most cells of the first sheet (and texts of the shared-strings
    # table). A small .xlsx can unpack to gigabytes; these keep reading it bounded.
    "IMPORT_MAX_UNPACKED_SIZE": 256 * 1024 * 1024,
    "IMPORT_MAX_CELLS": 2_000_000,
    # The directory sync (manage.py sync_data_sources). It stops, changing nothing, when
    # it would set more than PERCENT of a source's valid customers or customer users
    # invalid and at least MINIMUM of them (--allow-mass-invalidation overrides).
    "SYNC_MASS_INVALIDATION": {"PERCENT": 10, "MINIMUM": 50},
    # Instead of reporting and skipping them, fail the whole sync on entries whose key
    # or name belongs to another source's record (conflicts), or on malformed entries.
    "SYNC_FAIL_ON_CONFLICT": False,
    "SYNC_FAIL_ON_MALFORMED": False,
    # The account the admin history names for syncs nobody started in the admin (cron);
    # created inactive, without a usable password, when first needed.
    "SYNC_USER": "otrs-customer-admin-sync",
    # A running sync that has shown no sign of life for this long is taken as dead.
    "SYNC_STALE_AFTER": timedelta(hours=1),
    # Background jobs (imports, exports and syncs run by a worker of Django's tasks framework when
    # the site configures a task backend other than the immediate one). JOB_STORAGE is the alias in
    # STORAGES that keeps uploads and results, shared by the web and worker machines; results are
    # deleted JOB_RESULT_TTL after their job finished. A job's upload may be JOB_MAX_UPLOAD_SIZE
    # bytes and JOB_MAX_ROWS rows. A running job whose worker gave no sign of life for
    # JOB_HEARTBEAT_TIMEOUT is marked failed (the worker was killed or lost).
    "JOB_STORAGE": "default",
    "JOB_RESULT_TTL": timedelta(days=7),
    "JOB_MAX_UPLOAD_SIZE": 500 * 1024 * 1024,
    "JOB_MAX_ROWS": 5_000_000,
    "JOB_HEARTBEAT_TIMEOUT": timedelta(minutes=2),
    # OTRS's Customers <-> Groups: a staff user sees the customers one of their groups is linked
    # to ("ro" or "rw") and changes those linked "rw", with their people and tickets. Off, every
    # staff user with the model permissions sees everything.
    "CUSTOMER_GROUP_SUPPORT": False,
    # Names of groups linked "rw" to every new customer, however it is created (OTRS's
    # CustomerGroupCompanyAlwaysGroups); a group that does not exist yet is created.
    "CUSTOMER_GROUP_ALWAYS": [],
    # The history: every writer (form, import, sync, merge, anonymisation, retention) records each
    # field it changes from what to what, who and which writer, in django-auditlog's table. Off,
    # only the admin's own history entries are written (which fields changed, not their values).
    "HISTORY": True,
    # People invalid for longer than this (a timedelta) are anonymised by manage.py
    # apply_retention and, where the jobs framework runs, by its periodic job; None keeps them.
    "ANONYMIZE_INVALID_AFTER": None,
    # Customer Information's Social links: (label, URL with {name} URL-encoded).
    "SOCIAL_LINKS": [
        ("LinkedIn", "https://www.linkedin.com/search/results/companies/?keywords={name}"),
        ("Wikipedia", "https://en.wikipedia.org/w/index.php?search={name}"),
        ("Google", "https://www.google.com/search?q={name}"),
        ("DuckDuckGo", "https://duckduckgo.com/?q={name}"),
    ],
}


class Settings:
    """Attribute access to ``OTRS_CUSTOMER_ADMIN`` merged over ``DEFAULTS``."""

    def __init__(self, defaults):
        self.defaults = defaults
        self._cache = {}

    @property
    def user_settings(self):
        value = getattr(django_settings, SETTING_NAME, {})
        return value if isinstance(value, dict) else {}

    def __getattr__(self, name):
        if name not in self.defaults:
            raise AttributeError(f"{SETTING_NAME} has no setting {name!r}")
        if name not in self._cache:
            self._cache[name] = self.user_settings.get(name, self.defaults[name])
        return self._cache[name]

    def reload(self):
        self._cache.clear()


settings = Settings(DEFAULTS)


@receiver(setting_changed)
def _reload_settings(*, setting, **kwargs):
    # Modules with caches derived from these settings connect to the signal themselves.
    if setting == SETTING_NAME:
        settings.reload()
