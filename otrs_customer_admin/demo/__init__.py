"""Believable demo data: customers, customer users, SLAs and tickets, fast and repeatable.

``load_demo_data()`` (and the ``load_demo_data`` command around it) fills the default
writable data source with companies in several countries, the people who work there,
three SLAs (Bronze counting in the working-hours calendar "Office hours", Monday to Friday
8:00 to 17:00 in Berlin with Germany's public holidays; the others around the clock) and
tickets in every OTRS state.

* **Repeatable.** Every record has a key derived from its index: customers are
  ``DEMO-00001``…, customer users have logins like ``anna.mueller17`` (the number is the
  index), tickets are numbered ``DEMO0000001``… (real tickets are numbered
  ``YYYYMMDD…``, so the two never clash) and SLAs are known by name. A run loads the keys
  that exist (one query per model) and bulk-creates only the missing records, so running
  twice creates nothing and a larger count adds only the difference.
* **Stable.** Each record draws its values from its own random generator, seeded from
  ``(seed, kind, index)``; record *i* looks the same whatever the counts are. Only the
  links (which customer a person works for, which person opened a ticket) depend on how
  many customers and customer users there are.
* **Fast.** No per-row queries: values come from small in-memory tables and records are
  written in batches (``bulk_create`` for customers and customer users, a single
  ``executemany`` per batch for tickets, see ``bulk.RowWriter``). The stored escalation
  fields of tickets are derived with ``Ticket.prepare_for_save()`` before each batch is
  written. A million tickets take a few minutes on SQLite.

The package: ``countries`` and ``tables`` hold what the values are drawn from (names,
cities, streets, comments, ticket titles, SLAs, weights), ``dynamic_fields`` and
``customer_groups`` add the demo's dynamic fields and group links, ``bulk`` writes the batches
(internal), and ``generator`` holds ``DemoDataGenerator`` and ``load_demo_data``, which
are imported from here.
"""

from .generator import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_CUSTOMER_USERS,
    DEFAULT_CUSTOMERS,
    DEFAULT_SEED,
    DEFAULT_TICKETS,
    DemoDataError,
    DemoDataGenerator,
    DemoDataResult,
    ModelCounts,
    load_demo_data,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_CUSTOMERS",
    "DEFAULT_CUSTOMER_USERS",
    "DEFAULT_SEED",
    "DEFAULT_TICKETS",
    "DemoDataError",
    "DemoDataGenerator",
    "DemoDataResult",
    "ModelCounts",
    "load_demo_data",
]
