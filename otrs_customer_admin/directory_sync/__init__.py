"""The directory sync: a data source's complete read made into customers and customer users.

It sits above the models and the sources: ``run_sync(source)`` reads the source
(``source.read()``), plans every change (``plan``) and writes them in one transaction
(``run``); ``check_connection(source)`` is the admin's Test connection.
"""

from .plan import model_fields
from .run import (
    DETAILS_KEPT,
    DETAILS_SHOWN,
    PROBLEMS,
    SyncReport,
    check_connection,
    counts_text,
    history_user,
    run_sync,
    word_labels,
)

__all__ = [
    "DETAILS_KEPT",
    "DETAILS_SHOWN",
    "PROBLEMS",
    "SyncReport",
    "check_connection",
    "counts_text",
    "history_user",
    "model_fields",
    "run_sync",
    "word_labels",
]
