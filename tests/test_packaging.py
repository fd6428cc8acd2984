"""The package as a site builder gets it.

Builds the sdist and, from it, the wheel (as ``python -m build`` does), checks
what the wheel ships, installs it into a clean venv together with its
dependencies from the package index, and runs a new site whose settings hold
only what the README asks for: ``check``, ``migrate``, ``makemigrations --check``
and a look at the admin pages.

Everything runs from a temporary directory with the venv's own Python, so the
checkout is never importable by accident.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "otrs_customer_admin"

# Exactly the INSTALLED_APPS the README documents, around Django's own apps.
INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.inlines",
    "unfold.contrib.import_export",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "import_export",
    "django_countries",
    "auditlog",
    PACKAGE,
]

SETTINGS = f"""\
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "packaging-test-only"
DEBUG = False
ALLOWED_HOSTS = []
INSTALLED_APPS = {INSTALLED_APPS!r}
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "hostsite.urls"
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        }},
    }},
]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}}}
USE_TZ = True
STATIC_URL = "static/"
"""

URLS = """\
from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
"""

MANAGE = """\
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

# Renders the package's admin pages from the installed wheel, as a logged-in superuser.
SMOKE = """\
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostsite.settings")
import django

django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse

import otrs_customer_admin
from otrs_customer_admin.models import Customer, CustomerUser

setup_test_environment()
print("package:", otrs_customer_admin.__file__)
user = get_user_model().objects.create_superuser("packager", "packager@example.com", "packager")
customer = Customer.objects.create(customer_id="ACME", name="Acme Ltd", country="DE")
person = CustomerUser.objects.create(
    login="jane", first_name="Jane", last_name="Doe", email="jane@example.com", customer=customer
)
client = Client()
client.force_login(user)
pages = [("admin:index", [])]
for model, obj in (("customer", customer), ("customeruser", person), ("ticket", None), ("sla", None)):
    pages += [(f"admin:otrs_customer_admin_{model}_changelist", []), (f"admin:otrs_customer_admin_{model}_add", [])]
    if obj is not None:
        for view in ("change", "detail", "card"):
            pages.append((f"admin:otrs_customer_admin_{model}_{view}", [obj.pk]))
for name, args in pages:
    url = reverse(name, args=args)
    response = client.get(url)
    print(response.status_code, url)
    assert response.status_code == 200, (url, response.status_code)
print("admin pages OK")
"""


def run(command, cwd, env, timeout=600):
    """Run ``command``; on failure, fail the test with everything it printed."""
    try:
        result = subprocess.run(
            [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{' '.join(map(str, command))} timed out after {timeout}s\n{exc.stdout}\n{exc.stderr}")
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, command))} exited {result.returncode} (in {cwd})\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}",
            pytrace=False,
        )
    return result


def clean_env():
    """The environment without anything that would make the checkout or another venv importable."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV")
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def package_files(root):
    """The files under the package directory in ``root`` that a wheel must ship."""
    files = set()
    for path in (root / PACKAGE).rglob("*"):
        relative = path.relative_to(root)
        if (
            path.is_file()
            and "__pycache__" not in relative.parts
            and not any(part.startswith(".") for part in relative.parts)
            and path.suffix not in (".pyc", ".swp")
            and not path.name.endswith("~")
        ):
            files.add(relative.as_posix())
    return files


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("packaging")


@pytest.fixture(scope="module")
def wheel(workdir):
    """Build the sdist from a copy of the checkout, then the wheel from the sdist."""
    source = workdir / "source"
    source.mkdir()
    # The top-level files (setup.cfg, pyproject.toml, MANIFEST.in, README.md, a
    # licence) and the package; a copy, so no stale build/ of the checkout leaks in.
    for path in REPO.iterdir():
        if path.is_file():
            shutil.copy2(path, source / path.name)
    shutil.copytree(REPO / PACKAGE, source / PACKAGE, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = workdir / "dist"
    run([sys.executable, "-m", "build", "--outdir", dist, source], cwd=workdir, env=clean_env())
    wheels = list(dist.glob("otrs_customer_admin-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {dist}, found {sorted(p.name for p in dist.iterdir())}"
    return wheels[0]


@pytest.fixture(scope="module")
def site(workdir, wheel):
    """A clean venv with the wheel installed, and a new site that uses it."""
    venv = workdir / "venv"
    env = clean_env()
    run([sys.executable, "-m", "venv", venv], cwd=workdir, env=env)
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "--quiet", wheel], cwd=workdir, env=env)
    root = workdir / "site"
    (root / "hostsite").mkdir(parents=True)
    (root / "hostsite" / "__init__.py").write_text("")
    (root / "hostsite" / "settings.py").write_text(SETTINGS)
    (root / "hostsite" / "urls.py").write_text(URLS)
    (root / "manage.py").write_text(MANAGE)
    (root / "smoke.py").write_text(SMOKE)
    return python, root, env


def test_wheel_ships_the_package_with_its_migrations_templates_and_static(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert f"{PACKAGE}/migrations/__init__.py" in names
    assert f"{PACKAGE}/migrations/0001_initial.py" in names
    # Compared with the copy the wheel was built from: the checkout may be changing meanwhile.
    missing = sorted(package_files(wheel.parent.parent / "source") - names)
    assert not missing, f"files of the package that the wheel does not ship: {missing}"
    for folder in ("templates", "static"):
        if (REPO / PACKAGE / folder).is_dir() and any((REPO / PACKAGE / folder).rglob("*.*")):
            assert any(name.startswith(f"{PACKAGE}/{folder}/") for name in names), folder
    # The German translation, compiled: a site needs no gettext tools to show it.
    assert {f"{PACKAGE}/locale/de/LC_MESSAGES/django.po", f"{PACKAGE}/locale/de/LC_MESSAGES/django.mo"} <= names
    strays = sorted(name for name in names if name.split("/")[0] in ("tests", "example_project", "bench", "docs"))
    assert not strays, f"the wheel ships files that are not part of the package: {strays[:10]}"


def test_new_site_with_the_readme_settings_checks_and_migrates(site):
    python, root, env = site
    where = run([python, "-c", f"import {PACKAGE}; print({PACKAGE}.__file__)"], cwd=root, env=env).stdout.strip()
    assert Path(where).is_relative_to(python.parent.parent), f"{PACKAGE} was imported from {where}, not the venv"

    check = run([python, "manage.py", "check", "--fail-level", "WARNING"], cwd=root, env=env)
    assert "no issues" in check.stdout, check.stdout

    migrate = run([python, "manage.py", "migrate", "--noinput"], cwd=root, env=env)
    assert f"Applying {PACKAGE}.0001_initial... OK" in migrate.stdout, migrate.stdout

    run([python, "manage.py", "makemigrations", "--check", "--dry-run", PACKAGE], cwd=root, env=env)


def test_new_site_speaks_german_with_the_installed_catalogue(site):
    python, root, env = site
    code = (
        "from django.utils import translation; from django.utils.translation import gettext; "
        "translation.activate('de'); print(gettext('Customer Information'), '/', gettext('Escalations'))"
    )
    shell = run([python, "manage.py", "shell", "--no-startup", "-c", code], cwd=root, env=env)
    # The last line: Django 5.2's shell may first say what it imported.
    assert shell.stdout.strip().splitlines()[-1] == "Kundeninformation / Eskalationen", shell.stdout


def test_new_site_renders_the_admin_pages_from_the_installed_package(site):
    python, root, env = site
    run([python, "manage.py", "migrate", "--noinput"], cwd=root, env=env)
    smoke = run([python, "smoke.py"], cwd=root, env=env)
    assert "admin pages OK" in smoke.stdout, smoke.stdout
