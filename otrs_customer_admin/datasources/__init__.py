from .base import (
    DataSource,
    SyncResult,
    data_source_choices,
    default_data_source_key,
    get_data_source,
    get_data_sources,
    writable_data_sources,
)

__all__ = [
    "DataSource",
    "SyncResult",
    "data_source_choices",
    "default_data_source_key",
    "get_data_source",
    "get_data_sources",
    "writable_data_sources",
]
