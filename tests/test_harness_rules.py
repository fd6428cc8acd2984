"""The harness's rules, proven on a small inner pytest run with tests/conftest.py as its plugin.

* With ``CI=true`` a skipped test fails, named and with its reason; without it, it is a skip.
* Tests marked ``postgres`` are deselected, not skipped, unless the database is PostgreSQL.
"""

import os
import subprocess
import sys

import pytest

from tests.harness import REPO_ROOT

pytestmark = pytest.mark.harness

INNER_INI = """\
[pytest]
markers =
    postgres: needs PostgreSQL
"""

# Django settings of the inner runs: only the database, from DATABASE_URL as in the example site.
INNER_SETTINGS = """\
import os

from example_project.settings import database_from_url

DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL") or "sqlite://")}
"""

INNER_TESTS = """\
import pytest


def test_needs_a_missing_part():
    pytest.skip("slapd not found: apt-get install slapd ldap-utils")


@pytest.mark.xfail(reason="a known bug", strict=True)
def test_known_bug():
    assert False


def test_passes():
    pass


@pytest.mark.postgres
def test_needs_postgres():
    pass
"""

INNER_SKIPPED_MODULE = """\
import pytest

pytest.importorskip("otrs_customer_admin_no_such_module", reason="no_such_module not installed: pip install it")


def test_never_collected():
    pass
"""

# Each run: (CI, DATABASE_URL). The settings are read, no connection is made: the inner
# tests do not touch the database, so no PostgreSQL server is needed for the last run.
RUNS = {
    "local": (False, None),
    "ci": (True, None),
    "postgres": (False, "postgres://user:password@127.0.0.1:9/none"),
}


INNER_COMMAND = [
    *(sys.executable, "-m", "pytest", "-rA", "--continue-on-collection-errors"),
    *("-p", "tests.conftest", "-p", "no:cacheprovider", "-p", "no:playwright", "--ds", "inner_settings"),
]


@pytest.fixture(scope="module")
def inner_runs(tmp_path_factory):
    """Run the inner tests once per ``RUNS`` entry (in parallel); ``{name: (exit code, output)}``."""
    unset = {"CI", "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "PYTEST_ADDOPTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base_env = {key: value for key, value in os.environ.items() if key not in unset}
    base_env["PYTHONPATH"] = os.pathsep.join(filter(None, [".", str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    processes = {}
    for name, (ci, database_url) in RUNS.items():
        directory = tmp_path_factory.mktemp(f"inner-{name}")
        (directory / "pytest.ini").write_text(INNER_INI)
        (directory / "test_inner.py").write_text(INNER_TESTS)
        (directory / "test_skipped_module.py").write_text(INNER_SKIPPED_MODULE)
        (directory / "inner_settings.py").write_text(INNER_SETTINGS)
        env = dict(base_env)
        if ci:
            env["CI"] = "true"
        if database_url:
            env["DATABASE_URL"] = database_url
        processes[name] = subprocess.Popen(
            INNER_COMMAND, cwd=directory, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    results = {}
    for name, process in processes.items():
        output, _ = process.communicate(timeout=120)
        results[name] = (process.returncode, output)
    return results


def test_without_ci_a_skip_is_a_skip(inner_runs):
    code, output = inner_runs["local"]

    assert code == 0, output
    assert "1 passed, 2 skipped, 1 deselected, 1 xfailed" in output
    assert "SKIPPED [1] test_inner.py:5: slapd not found: apt-get install slapd ldap-utils" in output
    assert "no_such_module not installed: pip install it" in output


def test_with_ci_a_skip_fails_with_its_name_and_reason(inner_runs):
    code, output = inner_runs["ci"]

    assert code == 1, output
    assert "CI=true: a skipped test fails" in output
    assert (
        "FAILED test_inner.py::test_needs_a_missing_part - "
        "skipped under CI=true: slapd not found: apt-get install slapd ldap-utils"
    ) in output
    assert (
        "ERROR test_skipped_module.py - skipped under CI=true: no_such_module not installed: pip install it" in output
    )
    # An expected failure is no skip: it stays an xfail; a deselected test is no skip either.
    assert "1 failed, 1 passed, 1 deselected, 1 xfailed, 1 error" in output


@pytest.mark.parametrize("run", ["local", "ci"])
def test_postgres_tests_are_deselected_on_sqlite_with_a_note(inner_runs, run):
    _code, output = inner_runs[run]

    assert "test_needs_postgres" not in output
    assert "database sqlite3 (tests marked postgres are deselected)" in output
    assert "1 test(s) marked postgres deselected: the database is sqlite3; set DATABASE_URL=postgres://" in output


def test_postgres_tests_run_on_postgresql(inner_runs):
    code, output = inner_runs["postgres"]

    assert code == 0, output
    assert "PASSED test_inner.py::test_needs_postgres" in output
    assert "2 passed, 2 skipped, 1 xfailed" in output
    assert "deselected" not in output
