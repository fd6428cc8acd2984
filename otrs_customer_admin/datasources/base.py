"""Data sources: where customers and customer users live.

A data source is named by a key in ``OTRS_CUSTOMER_ADMIN["DATA_SOURCES"]``; every
customer and customer user stores that key in its ``data_source`` field. Records
of a read-only source can be written only by that source's own sync, which runs
inside ``source.writing()``; everything else (admin, import, plain model code)
is refused by the model layer.
"""

import contextvars
import importlib.util
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from ..conf import reload_hooks, settings

SOURCE_KEY_PATTERN = re.compile(r"^[a-z0-9_-]{1,50}\Z")

# The key of the read-only source whose sync is writing right now, if any.
_writing_source = contextvars.ContextVar("otrs_customer_admin_writing_source", default=None)


@dataclass
class SyncResult:
    """What a sync did, for the command's summary."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalidated: int = 0
    errors: list[str] = field(default_factory=list)


class DataSource:
    """Base class for data sources.

    Subclasses set ``read_only`` and ``required_modules`` (import names the backend
    needs; a system check reports missing ones with ``install_hint``) and implement
    ``sync()`` when they mirror an external directory.
    """

    read_only = False
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

    def sync(self):
        """Bring the records of this source up to date; returns a ``SyncResult``."""
        return SyncResult()

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


reload_hooks.append(get_data_sources.cache_clear)


def get_data_source(key):
    """The source for ``key``, or ``None`` when no such source is configured."""
    return get_data_sources().get(key)


def writable_data_sources():
    return [source for source in get_data_sources().values() if not source.read_only]


def default_data_source_key():
    """The key new records get when nobody chose a source: the first writable one."""
    writable = writable_data_sources()
    return writable[0].key if writable else ""


def data_source_choices():
    return [(source.key, source.label) for source in get_data_sources().values()]
