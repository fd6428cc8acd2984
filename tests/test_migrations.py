"""Migrations match the models, and they build (and unbuild) the schema from nothing."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

APP = "otrs_customer_admin"


def app_tables(app_label):
    return {
        model._meta.db_table
        for model in apps.get_app_config(app_label).get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def database_tables():
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


@pytest.fixture
def migrated(django_db_use_migrations):
    if not django_db_use_migrations:
        pytest.skip("the test database was built without migrations (--no-migrations): run without it")


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    out, err = StringIO(), StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=1, stdout=out, stderr=err)
    except SystemExit as exit:
        pytest.fail(f"makemigrations --check exited with {exit.code}; run makemigrations:\n{out.getvalue()}")
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db
def test_the_test_database_is_fully_migrated(migrated):
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    missing = set().union(*(app_tables(config.label) for config in apps.get_app_configs())) - database_tables()
    assert not missing, f"tables without a migration: {sorted(missing)}"


@pytest.mark.django_db(transaction=True)
def test_migrations_apply_from_zero_and_unapply_again(migrated):
    tables = app_tables(APP)
    assert tables and tables <= database_tables()

    call_command("migrate", APP, "zero", verbosity=0)
    assert not tables & database_tables()

    call_command("migrate", verbosity=0)
    assert tables <= database_tables()


@pytest.mark.django_db(transaction=True)
def test_the_folded_keys_migration_fills_the_keys_of_existing_records(migrated):
    executor = MigrationExecutor(connection)
    executor.migrate([(APP, "0002_directory_sync")])
    old_apps = executor.loader.project_state([(APP, "0002_directory_sync")]).apps
    old_customer = old_apps.get_model(APP, "Customer")
    old_customer.objects.create(customer_id="ÄRZTE-1", name="Hauptstraße", country="DE", data_source="database")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from otrs_customer_admin.models import Customer

    assert Customer.objects.values_list("customer_id_key", "name_key").get() == ("ärzte-1", "hauptstrasse")
    Customer.objects.all()._raw_delete(Customer.objects.db)
