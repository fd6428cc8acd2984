from .base import (
    DataSource,
    DirectoryEntry,
    DirectoryRead,
    SyncError,
    data_source_choices,
    default_data_source_key,
    get_data_source,
    get_data_sources,
    syncable_data_sources,
    writable_data_sources,
)

__all__ = [
    "DataSource",
    "DirectoryEntry",
    "DirectoryRead",
    "SyncError",
    "data_source_choices",
    "default_data_source_key",
    "get_data_source",
    "get_data_sources",
    "syncable_data_sources",
    "writable_data_sources",
]
