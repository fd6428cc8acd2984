"""Data sources: where customers and customer users live.

A data source is named by a key in ``OTRS_CUSTOMER_ADMIN["DATA_SOURCES"]``; every
customer and customer user stores that key in its ``data_source`` field. Records
of a read-only source can be written only by that source's own sync, which runs
inside ``source.writing()``; everything else (admin, import, plain model code)
is refused by the model layer.

The sources sit below the models and import nothing of them: a source reads its
directory and says what it found, and the layers above (the models' rules, the sync in
``directory_sync``, the system checks) hand it what it needs to know of the models.
"""

import contextvars
import importlib.util
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

from django.core.signals import setting_changed
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..conf import SETTING_NAME, settings

SOURCE_KEY_PATTERN = re.compile(r"^[a-z0-9_-]{1,50}\Z")
# Test connection shows this many entries of each model.
TEST_SAMPLE = 5

# Attribute maps name a dynamic field DynamicField_<Name> (OTRS's name; the models' ``PREFIX``).
DYNAMIC_FIELD_PREFIX = "DynamicField_"

# The key of the read-only source whose sync is writing right now, if any.
_writing_source = contextvars.ContextVar("otrs_customer_admin_writing_source", default=None)


def is_dynamic_field_key(name):
    """Whether a map key names a dynamic field (``DynamicField_<Name>``, the prefix in any case)."""
    return isinstance(name, str) and name[: len(DYNAMIC_FIELD_PREFIX)].casefold() == DYNAMIC_FIELD_PREFIX.casefold()


def shown_values(entry):
    """An entry's fields as Test connection shows them: the built-in ones, then each mapped dynamic
    field with all its values (a multi-valued attribute's joined by "; ")."""
    return {**entry.values, **{key: "; ".join(texts) for key, texts in entry.dynamic.items()}}


class SyncError(Exception):
    """A sync that could not read everything, or was refused; it changed nothing."""


class SyncAlreadyRunning(SyncError):
    """Another real sync of the same source is running."""


class MassInvalidation(SyncError):
    """The sync would invalidate more records than the guard allows; nothing was changed."""


@dataclass
class DirectoryEntry:
    """One entry of an external directory, mapped to our fields as text."""

    dn: str
    normalized_dn: tuple = ()
    external_id: str = ""
    values: dict = field(default_factory=dict)  # our field -> text
    # Why the entry cannot be used as it is (no identity, bytes that are not text, ...).
    problems: list = field(default_factory=list)
    # For customer users: the normalized DNs above the entry, nearest first.
    ancestors: list = field(default_factory=list)
    # For customer users: the CustomerIDs of the customer attribute after its first value.
    additional_customers: list = field(default_factory=list)
    # For customer users: the email attribute's values after its first (the primary address).
    additional_emails: list = field(default_factory=list)
    # ``DynamicField_<Name>`` map key -> every value of its attribute, as text (a multiselect takes them all).
    dynamic: dict = field(default_factory=dict)


@dataclass
class DirectoryRead:
    """Everything one complete read of a directory returned."""

    customers: list = field(default_factory=list)
    customer_users: list = field(default_factory=list)


@dataclass
class Check:
    """One step of Test connection."""

    label: str
    ok: bool
    detail: str = ""


@dataclass
class SearchSample:
    """What Test connection found for one model (one search, in a directory)."""

    label: str
    count: int = 0
    complete: bool = True
    error: str = ""
    # (DN, {field: value}, [attributes missing], [problems that make the sync skip it]) for the first entries.
    entries: list = field(default_factory=list)


@dataclass
class ConnectionReport:
    checks: list = field(default_factory=list)
    searches: list = field(default_factory=list)

    @property
    def ok(self):
        return all(check.ok for check in self.checks) and not any(search.error for search in self.searches)


@dataclass(frozen=True)
class ModelFields:
    """What a source may map for one model (``names``) and what every record needs (``required``),
    handed to ``check_options`` by the layer that knows the models."""

    names: tuple
    required: tuple


class DataSource:
    """Base class for data sources.

    Subclasses set ``read_only`` and ``required_modules`` (import names the backend
    needs; a system check reports missing ones with ``install_hint``). A source that
    mirrors an external directory sets ``can_sync`` and implements ``read()``, which
    returns a complete ``DirectoryRead`` or raises ``SyncError``;
    ``directory_sync.run_sync(source)`` then brings the records up to date.
    """

    read_only = False
    can_sync = False
    required_modules: tuple[str, ...] = ()
    install_hint = ""
    default_label = _("Data source")

    def __init__(self, key, options=None):
        self.key = key
        self.options = dict(options or {})
        self.label = self.options.get("LABEL") or self.default_label

    def __repr__(self):
        return f"<{type(self).__name__} {self.key!r}>"

    def __str__(self):
        return str(self.label)

    @classmethod
    def missing_modules(cls):
        return [name for name in cls.required_modules if importlib.util.find_spec(name) is None]

    def option(self, key):
        """One of this source's options, ``""`` when it is not set."""
        return self.options.get(key, "")

    def searched_models(self):
        """Which of ``"customer"`` and ``"customer_user"`` this source's sync mirrors."""
        return []

    def attr_map(self, model_key):
        """Our field -> the directory's attribute, for ``"customer"`` or ``"customer_user"``."""
        return {}

    def normalized_dn(self, dn):
        """A directory name in a form that compares equal for the same entry."""
        return (dn.lower(),)

    @classmethod
    def check_options(cls, where, options, fields):
        """Problems with this source's options, as ``(check number, message, hint)`` triples;
        ``fields`` is ``{"customer": ModelFields, "customer_user": ModelFields}``."""
        return []

    def read(self, progress=None):
        """Every entry of the directory (a ``DirectoryRead``); only sources that ``can_sync``."""
        raise NotImplementedError(f"{type(self).__name__} has nothing to sync")

    def test_connection(self, entry_problems):
        """What a sync would read, for the admin's Test connection: a ``ConnectionReport``.

        ``entry_problems(model_key, values, dynamic)`` says why the sync would skip an entry with these
        values and dynamic field values (the sync's checks, ``directory_sync.check_connection``). This default reads the
        whole source once; a source whose read takes long overrides it to answer sooner, as
        ``LDAPSource`` does.
        """
        report = ConnectionReport()
        try:
            read = self.read()
        except SyncError as error:
            report.checks.append(Check(gettext("Read"), False, str(error)))
            return report
        report.checks.append(Check(gettext("Read"), True))
        for model_key in self.searched_models():
            entries = read.customers if model_key == "customer" else read.customer_users
            label = gettext("Customers") if model_key == "customer" else gettext("Customer users")
            sample = SearchSample(label=label, count=len(entries))
            for entry in entries[:TEST_SAMPLE]:
                missing = [
                    gettext("%(field)s: %(attribute)s missing") % {"field": name, "attribute": attribute}
                    for name, attribute in self.attr_map(model_key).items()
                    if name not in entry.values and name not in entry.dynamic
                ]
                problems = entry.problems + entry_problems(model_key, entry.values, entry.dynamic)
                sample.entries.append((entry.dn, shown_values(entry), missing, problems))
            report.searches.append(sample)
        return report

    @contextmanager
    def writing(self):
        """Let this source's own records be written, for the duration of a sync."""
        token = _writing_source.set(self.key)
        try:
            yield
        finally:
            _writing_source.reset(token)

    def allows_writes(self):
        return not self.read_only or _writing_source.get() == self.key


@cache
def get_data_sources():
    """All configured sources, in settings order, keyed by their key."""
    sources = {}
    for key, options in settings.DATA_SOURCES.items():
        backend = import_string(options["BACKEND"])
        sources[key] = backend(key, options)
    return sources


def _forget_data_sources(*, setting, **kwargs):
    if setting == SETTING_NAME:
        get_data_sources.cache_clear()


setting_changed.connect(_forget_data_sources, dispatch_uid="otrs_customer_admin.datasources.registry")


def get_data_source(key):
    """The source for ``key``, or ``None`` when no such source is configured."""
    return get_data_sources().get(key)


def writable_data_sources():
    return [source for source in get_data_sources().values() if not source.read_only]


def default_data_source_key():
    """The key new records get when nobody chose a source: the first writable one."""
    writable = writable_data_sources()
    return writable[0].key if writable else ""


def syncable_data_sources():
    return [source for source in get_data_sources().values() if source.can_sync]


def data_source_choices():
    return [(source.key, source.label) for source in get_data_sources().values()]
