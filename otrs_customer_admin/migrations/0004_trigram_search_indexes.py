"""Trigram indexes for the OTRS search on PostgreSQL (pg_trgm); nothing on other databases.

A wildcard search is a LIKE '%term%': no B-tree index helps, a trigram GIN index does. The
folded twins are searched as they are (``name_key LIKE '%acme%'``), the other searched
text fields as Django's ``icontains`` writes it (``UPPER(city) LIKE UPPER('%berlin%')``).
"""

from django.db import migrations

INDEXES = [
    ("otrs_customer_customer_id_key_trgm", "otrs_customer_admin_customer", "customer_id_key"),
    ("otrs_customer_name_key_trgm", "otrs_customer_admin_customer", "name_key"),
    ("otrs_customer_city_trgm", "otrs_customer_admin_customer", 'UPPER("city"::text)'),
    ("otrs_customeruser_login_key_trgm", "otrs_customer_admin_customeruser", "login_key"),
    ("otrs_customeruser_email_key_trgm", "otrs_customer_admin_customeruser", "email_key"),
    ("otrs_customeruser_first_name_trgm", "otrs_customer_admin_customeruser", 'UPPER("first_name"::text)'),
    ("otrs_customeruser_last_name_trgm", "otrs_customer_admin_customeruser", 'UPPER("last_name"::text)'),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin (({expression}) gin_trgm_ops)')


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("otrs_customer_admin", "0003_folded_keys")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
