"""The OTRS_CUSTOMER_ADMIN settings object and the system checks that guard it."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import checks
from django.test import override_settings

from otrs_customer_admin import checks as checks_module
from otrs_customer_admin.conf import DEFAULTS, settings

# The model checks ask the database what it supports (JSONField).
pytestmark = pytest.mark.django_db


def check_ids(**overrides):
    with override_settings(**overrides):
        return [message.id for message in checks.run_checks() if message.id.startswith("otrs_customer_admin")]


def messages(**overrides):
    with override_settings(**overrides):
        return {m.id: m for m in checks.run_checks() if m.id.startswith("otrs_customer_admin")}


def test_defaults_apply_without_the_setting():
    assert settings.ALLOW_DELETE is False
    assert settings.REMINDER_WINDOW == timedelta(hours=24)
    assert list(settings.DATA_SOURCES) == ["database"]


def test_override_settings_is_seen_and_undone():
    with override_settings(OTRS_CUSTOMER_ADMIN={"ALLOW_DELETE": True}):
        assert settings.ALLOW_DELETE is True
        assert settings.REMINDER_WINDOW == DEFAULTS["REMINDER_WINDOW"]
    assert settings.ALLOW_DELETE is False


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError):
        settings.NO_SUCH_SETTING  # noqa: B018


def test_the_example_configuration_passes_the_checks():
    assert check_ids() == []


def test_a_setting_that_is_not_a_dict():
    assert check_ids(OTRS_CUSTOMER_ADMIN=["ALLOW_DELETE"]) == ["otrs_customer_admin.E003"]


def test_an_unknown_key_suggests_the_close_one():
    found = messages(OTRS_CUSTOMER_ADMIN={"REMINDER_WINDOWS": timedelta(hours=1)})
    assert list(found) == ["otrs_customer_admin.E004"]
    assert "REMINDER_WINDOWS" in found["otrs_customer_admin.E004"].msg
    assert found["otrs_customer_admin.E004"].hint == "Did you mean 'REMINDER_WINDOW'?"


@pytest.mark.parametrize(
    "config, expected",
    [
        ({"ALLOW_DELETE": "yes"}, "otrs_customer_admin.E005"),
        ({"REMINDER_WINDOW": 3600}, "otrs_customer_admin.E006"),
        ({"REMINDER_WINDOW": timedelta(hours=-1)}, "otrs_customer_admin.E006"),
        ({"DATA_SOURCES": {}}, "otrs_customer_admin.E007"),
        ({"DATA_SOURCES": {"Bad Key": {"BACKEND": "tests.sources.DirectorySource"}}}, "otrs_customer_admin.E008"),
        ({"DATA_SOURCES": {"db": {}}}, "otrs_customer_admin.E009"),
        ({"DATA_SOURCES": {"db": {"BACKEND": "tests.sources.NoSuchClass"}}}, "otrs_customer_admin.E010"),
        ({"DATA_SOURCES": {"db": {"BACKEND": "no_such_package.Source"}}}, "otrs_customer_admin.E010"),
        ({"DATA_SOURCES": {"db": {"BACKEND": "tests.sources.NotADataSource"}}}, "otrs_customer_admin.E011"),
    ],
)
def test_wrong_settings_are_reported_with_their_id(config, expected):
    found = messages(OTRS_CUSTOMER_ADMIN=config)
    assert expected in found, found
    assert found[expected].hint or expected == "otrs_customer_admin.E009"


def test_a_backend_whose_modules_are_not_installed_says_how_to_install_them():
    found = messages(
        OTRS_CUSTOMER_ADMIN={
            "DATA_SOURCES": {
                "database": {"BACKEND": "otrs_customer_admin.datasources.database.DatabaseSource"},
                "ldap": {"BACKEND": "tests.sources.NeedsMissingModule"},
            }
        }
    )
    assert list(found) == ["otrs_customer_admin.E012"]
    assert "otrs_customer_admin_no_such_module" in found["otrs_customer_admin.E012"].msg
    assert found["otrs_customer_admin.E012"].hint == "pip install otrs-customer-admin[ldap]"


def test_only_read_only_sources_is_a_warning():
    found = messages(OTRS_CUSTOMER_ADMIN={"DATA_SOURCES": {"dir": {"BACKEND": "tests.sources.DirectorySource"}}})
    assert list(found) == ["otrs_customer_admin.W001"]
    assert found["otrs_customer_admin.W001"].level == checks.WARNING


def test_missing_apps_and_wrong_order_are_reported(settings):
    apps = [app for app in settings.INSTALLED_APPS if app != "import_export"]
    assert "otrs_customer_admin.E001" in check_ids(INSTALLED_APPS=apps)
    reordered = [app for app in settings.INSTALLED_APPS if app != "unfold"]
    reordered.insert(reordered.index("django.contrib.admin") + 1, "unfold")
    assert "otrs_customer_admin.E002" in check_ids(INSTALLED_APPS=reordered)


def test_unknown_widget_keys_are_reported_with_a_suggestion():
    found = messages(OTRS_CUSTOMER_ADMIN={"CUSTOMER_WIDGETS": ["customer-information", "escalation"]})
    assert list(found) == ["otrs_customer_admin.E015"]
    assert found["otrs_customer_admin.E015"].hint == "Did you mean 'escalations'?"


def test_a_widget_on_a_screen_it_does_not_fit():
    found = messages(OTRS_CUSTOMER_ADMIN={"CUSTOMER_USER_WIDGETS": ["customer-users"]})
    assert list(found) == ["otrs_customer_admin.E016"]


@pytest.mark.parametrize(
    "path, expected",
    [
        ("tests.no_such_module.Widget", "otrs_customer_admin.E013"),
        ("tests.sources.DirectorySource", "otrs_customer_admin.E014"),
    ],
)
def test_widget_paths_that_do_not_import_or_are_not_widgets(path, expected):
    assert list(messages(OTRS_CUSTOMER_ADMIN={"WIDGETS": [path]})) == [expected]


@pytest.mark.parametrize(
    "config, expected",
    [
        ({"WIDGET_ROWS": 0}, "otrs_customer_admin.E017"),
        ({"IMPORT_MAX_ROWS": "many"}, "otrs_customer_admin.E017"),
        ({"IMPORT_MAX_UNPACKED_SIZE": 0}, "otrs_customer_admin.E017"),
        ({"IMPORT_MAX_CELLS": 2.5e6}, "otrs_customer_admin.E017"),
        ({"MAP_URL": "https://maps.example/"}, "otrs_customer_admin.E018"),
        ({"SOCIAL_LINKS": [("Search", "https://search.example/")]}, "otrs_customer_admin.E019"),
        ({"DEFAULT_COUNTRY": "Narnia"}, "otrs_customer_admin.E020"),
        ({"DEFAULT_COUNTRY": "Korea"}, "otrs_customer_admin.E020"),
        # A country, written otherwise than its code: another message, so another id.
        ({"DEFAULT_COUNTRY": "Germany"}, "otrs_customer_admin.E029"),
        ({"DEFAULT_COUNTRY": "deu"}, "otrs_customer_admin.E029"),
    ],
)
def test_plain_values_are_checked(config, expected):
    assert list(messages(OTRS_CUSTOMER_ADMIN=config)) == [expected]


@pytest.mark.parametrize(
    "config, expected, text",
    [
        ({"ALLOW_DELETE": 1}, "E005", "['ALLOW_DELETE'] must be True or False."),
        ({"SYNC_FAIL_ON_CONFLICT": "yes"}, "E005", "['SYNC_FAIL_ON_CONFLICT'] must be True or False."),
        ({"SYNC_FAIL_ON_MALFORMED": None}, "E005", "['SYNC_FAIL_ON_MALFORMED'] must be True or False."),
        ({"SYNC_MASS_INVALIDATION": {"PERCENT": 200, "MINIMUM": 5}}, "E028", "must be {'PERCENT': 0-100"),
        ({"SYNC_USER": ""}, "E030", "['SYNC_USER'] must be a username."),
        ({"SYNC_STALE_AFTER": timedelta(0)}, "E031", "['SYNC_STALE_AFTER'] must be a positive timedelta."),
        ({"IMPORT_PREVIEW_TTL": 3600}, "E031", "['IMPORT_PREVIEW_TTL'] must be a positive timedelta."),
        ({"ANONYMIZE_INVALID_AFTER": 730}, "E041", "['ANONYMIZE_INVALID_AFTER'] must be a positive timedelta, or None"),
        ({"ANONYMIZE_INVALID_AFTER": timedelta(0)}, "E041", "['ANONYMIZE_INVALID_AFTER'] must be a positive"),
    ],
)
def test_each_kind_of_mistake_has_its_own_id(config, expected, text):
    # docs/settings.md explains each id once: an id stands for one message, whichever setting it names.
    found = messages(OTRS_CUSTOMER_ADMIN=config)
    assert list(found) == [f"otrs_customer_admin.{expected}"]
    assert text in found[f"otrs_customer_admin.{expected}"].msg


def test_no_id_is_given_to_two_messages():
    code = (Path(checks_module.__file__)).read_text(encoding="utf-8")
    numbers = re.findall(r"_error\(\s*(\d+)", code)
    assert len(numbers) > 20, numbers  # the scan found the checks
    # The LDAP source's own checks (check_options) take their ids from the same range.
    ldap_code = (Path(checks_module.__file__).parent / "datasources" / "ldap.py").read_text(encoding="utf-8")
    ldap_numbers = re.findall(r"problems\.append\(\s*\(\s*(\d+)", ldap_code)
    assert len(ldap_numbers) > 8, ldap_numbers
    numbers += ldap_numbers
    assert sorted(number for number in set(numbers) if numbers.count(number) > 1) == []


def test_a_retention_period_or_none_passes():
    assert check_ids(OTRS_CUSTOMER_ADMIN={"ANONYMIZE_INVALID_AFTER": timedelta(days=730)}) == []
    assert check_ids(OTRS_CUSTOMER_ADMIN={"ANONYMIZE_INVALID_AFTER": None}) == []


def test_a_valid_default_country_passes():
    assert check_ids(OTRS_CUSTOMER_ADMIN={"DEFAULT_COUNTRY": "AT"}) == []
