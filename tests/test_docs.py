"""The documentation in docs/ against the code: the references name what the code has, and the snippets run.

* ``docs/configuration.md``'s tables name exactly the keys of ``conf.DEFAULTS``, of every data source
  and of the LDAP source's ``OPTION_DEFAULTS`` and attribute maps, each with the code's default; the
  key tables of ``settings.md`` and ``data-sources.md`` name every key too.
* Every system check and every column name the import accepts or skips is documented.
* Every ```` ```python ```` block of docs/*.md compiles. One that assigns settings (upper-case names
  at module level) is run on top of the tests' settings by ``manage.py check`` in a process of its
  own, which must report no error and no warning; one that assigns ``urlpatterns`` is checked as
  the site's URLconf. A block whose first line is a comment naming a file (``# myproject/admin.py``)
  is that file, importable by the page's later blocks (and checked as the URLconf if it is one).
  The docs' own example names exist for the run: ``myapp.widgets.ContractsWidget`` (``EXAMPLE_MODULES``).

Markers, an HTML comment on the line before a block (``docs/development.md`` explains them):
``<!-- snippet: not-run -->`` compiles the block without running it; ``<!-- snippet: same-as PATH -->``
asserts that the block is a verbatim part of the repository's file ``PATH``;
``<!-- snippet: import customers -->`` and ``<!-- snippet: import customer-users -->`` (optionally
with ``default-country=XX``) import the block, a file, with the import engine: each such block of a
page in turn, into one database, with no problem, and a second time with every row unchanged.
"""

import ast
import datetime
import functools
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import markdown
import pytest
from markdown.extensions.fenced_code import FencedBlockPreprocessor

from otrs_customer_admin import conf
from otrs_customer_admin.importexport import columns
from tests import harness
from tests.markup import document, elements, text

REPO = harness.REPO_ROOT
DOCS = REPO / "docs"
PAGES = sorted(DOCS.glob("*.md"))

# ---------------------------------------------------------------------------
# Reading Markdown: Python-Markdown renders a page, tests/markup.py reads the HTML
# ---------------------------------------------------------------------------

# mkdocs.yml's extensions that Python-Markdown has; fenced_code reads the fences as
# pymdownx.superfences does at the top level of a page.
EXTENSIONS = ["tables", "fenced_code", "admonition", "attr_list", "def_list", "md_in_html"]
# The code of a fence is read from the page itself, by the fenced_code extension's own pattern
# (the parsed HTML collapses whitespace).
FENCED_BLOCK = FencedBlockPreprocessor.FENCED_BLOCK_RE
MARKER = re.compile(r"^<!--\s*snippet:\s*(.+?)\s*-->\s*$")


@functools.cache
def rendered(page):
    """The page as HTML, parsed (``tests/markup.py``)."""
    return document(markdown.markdown(page.read_text(encoding="utf-8"), extensions=EXTENSIONS))


def heading_level(node):
    """1 to 6 for a heading, 0 for anything else."""
    name = getattr(node, "name", "")
    return int(name[1]) if re.fullmatch(r"h[1-6]", name) else 0


@dataclass
class Table:
    heading: str  # the text of the nearest heading above it
    header: list  # the texts of the header cells
    rows: list  # lists of cells (elements)


def tables(page):
    found, heading = [], ""
    for node in elements(rendered(page)):
        if heading_level(node):
            heading = text(node)
        elif node.name == "table":
            header = [text(cell) for cell in elements(node, "th")]
            rows = [cells for row in elements(node, "tr") if (cells := elements(row, "td"))]
            found.append(Table(heading, header, rows))
    return found


def section(page, heading):
    """The elements of ``page`` under the heading ``heading``, up to the next heading of its level or higher."""
    nodes = rendered(DOCS / page).children
    start = next(i for i, node in enumerate(nodes) if heading_level(node) and text(node) == heading)
    level = heading_level(nodes[start])
    end = next((i for i in range(start + 1, len(nodes)) if 0 < heading_level(nodes[i]) <= level), len(nodes))
    return nodes[start + 1 : end]


def code_spans(node):
    """The texts of the code spans in ``node`` (not its code blocks)."""
    if getattr(node, "name", "pre") == "pre":
        return []
    return [text(code) for code in elements(node, "code")]


def first_code(cell):
    spans = code_spans(cell)
    return spans[0] if spans else None


@dataclass
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    marker: str = ""

    def __str__(self):
        return f"{self.page.relative_to(REPO)}:{self.line}"


@functools.cache
def blocks(page):
    """The fenced blocks of ``page``, each with the marker on the line before it, if any."""
    source = page.read_text(encoding="utf-8")
    found = []
    for match in FENCED_BLOCK.finditer(source):
        marker = MARKER.match(source[: match.start()].rstrip().rpartition("\n")[2].strip())
        line = source.count("\n", 0, match.start()) + 1
        found.append(
            Block(page, line, match.group("lang") or "", match.group("code"), marker.group(1) if marker else "")
        )
    outside = FENCED_BLOCK.sub(lambda match: "\n" * match.group().count("\n"), source).splitlines()
    unread = [number for number, line in enumerate(outside, start=1) if line.strip().startswith(("```", "~~~"))]
    assert not unread, f"{page.name}:{unread[0]}: a fence that is not a code block (indented, or never closed)"
    return found


def key_tables(page, heading=None):
    """Tables of ``page`` whose header starts with ``key | default``, under ``heading`` if given."""
    return [
        table
        for table in tables(DOCS / page)
        if [cell.lower() for cell in table.header[:2]] == ["key", "default"]
        and (heading is None or table.heading == heading)
    ]


def rows_by_key(table):
    rows = {}
    for cells in table.rows:
        key = first_code(cells[0])
        assert key, f"a row of the table under {table.heading!r} has no key: {[text(cell) for cell in cells]}"
        assert key not in rows, f"{key} appears twice in the table under {table.heading!r}"
        rows[key] = cells
    return rows


DEFAULT_NAMES = {"timedelta": datetime.timedelta, "datetime": datetime, "None": None}


def default_value(cells, where):
    expression = first_code(cells[1])
    assert expression is not None, f"{where}: the default of {text(cells[0])} is not a code span"
    try:
        return eval(expression, {"__builtins__": {}}, dict(DEFAULT_NAMES))  # the docs' own text
    except Exception as exc:  # pragma: no cover - the message is the point
        pytest.fail(f"{where}: the default of {text(cells[0])}, {expression!r}, is not a Python value: {exc}")


def only_table(page, heading):
    tables = key_tables(page, heading)
    assert len(tables) == 1, f"{page}: expected one key table under {heading!r}, found {len(tables)}"
    return tables[0]


# ---------------------------------------------------------------------------
# The configuration reference matches the code
# ---------------------------------------------------------------------------


def test_every_setting_is_in_the_reference_with_its_default():
    rows = rows_by_key(only_table("configuration.md", "OTRS_CUSTOMER_ADMIN"))
    assert sorted(rows) == sorted(conf.DEFAULTS), "configuration.md and conf.DEFAULTS name different keys"
    for key, cells in rows.items():
        assert default_value(cells, "configuration.md") == conf.DEFAULTS[key], f"the default of {key}"


def test_the_options_of_every_source_are_in_the_reference():
    from otrs_customer_admin.datasources.database import DatabaseSource

    rows = rows_by_key(only_table("configuration.md", "Options of every source"))
    assert sorted(rows) == ["BACKEND", "LABEL"]
    assert first_code(rows["BACKEND"][1]) is None, "BACKEND has no default: it is required"
    # An empty LABEL means the backend's own label.
    label = default_value(rows["LABEL"], "configuration.md")
    assert DatabaseSource("database", {"LABEL": label}).label == DatabaseSource.default_label


def test_every_ldap_option_is_in_the_reference_with_its_default():
    ldap_source = pytest.importorskip("otrs_customer_admin.datasources.ldap")
    table = only_table("configuration.md", "The LDAP source")
    rows = rows_by_key(table)
    assert sorted(rows) == sorted(["BACKEND", *ldap_source.OPTION_DEFAULTS])
    for key, default in ldap_source.OPTION_DEFAULTS.items():
        assert default_value(rows[key], "configuration.md") == default, f"the default of the LDAP option {key}"
    fallback = table.header.index("from AUTH_LDAP_*")
    falls_back = sorted(key for key, cells in rows.items() if text(cells[fallback]) == "yes")
    assert falls_back == sorted(ldap_source.CONNECTION_KEYS)


def test_the_default_attribute_maps_are_in_the_reference():
    ldap_source = pytest.importorskip("otrs_customer_admin.datasources.ldap")
    maps = {}
    for table in tables(DOCS / "configuration.md"):
        if table.heading == "Default attribute maps":
            maps[table.header[0]] = {first_code(cells[0]): first_code(cells[1]) for cells in table.rows}
    assert maps == {
        "customer field": ldap_source.DEFAULT_CUSTOMER_ATTR_MAP,
        "customer-user field": ldap_source.DEFAULT_CUSTOMER_USER_ATTR_MAP,
    }


def test_settings_page_names_every_setting_with_its_default():
    rows = {}
    for table in key_tables("settings.md"):
        rows.update(rows_by_key(table))
    assert sorted(rows) == sorted(conf.DEFAULTS), "settings.md and conf.DEFAULTS name different keys"
    for key, cells in rows.items():
        assert default_value(cells, "settings.md") == conf.DEFAULTS[key], f"settings.md: the default of {key}"


def test_data_sources_page_names_every_ldap_option():
    ldap_source = pytest.importorskip("otrs_customer_admin.datasources.ldap")
    rows = rows_by_key(only_table("data-sources.md", "Options"))
    assert sorted(rows) == sorted(["BACKEND", *ldap_source.OPTION_DEFAULTS])


def test_the_code_points_only_at_pages_the_repository_has():
    # Docstrings and comments send a newcomer to the docs; a page the repository lacks is a dead end.
    sources = [*(REPO / "otrs_customer_admin").rglob("*.py"), *(REPO / "bench").rglob("*.py")]
    sources += [*(REPO / "tests").glob("test_*.py"), *(REPO / "otrs_customer_admin" / "templates").rglob("*.html")]
    missing = set()
    for path in sources:
        for name in re.findall(r"[\w./-]*\w\.md\b", path.read_text(encoding="utf-8")):
            if not ((REPO / name).is_file() or (DOCS / name).is_file()):
                missing.add(f"{path.relative_to(REPO)}: {name}")
    assert sorted(missing) == []


def check_ids_in_code():
    ids = set()
    checks = (REPO / "otrs_customer_admin" / "checks.py").read_text(encoding="utf-8")
    ids |= {f"E{int(number):03d}" for number in re.findall(r"_error\(\s*(\d+)", checks)}
    ids |= {f"W{int(number):03d}" for number in re.findall(r'\.W(\d+)"', checks)}
    ldap_code = (REPO / "otrs_customer_admin" / "datasources" / "ldap.py").read_text(encoding="utf-8")
    # check_options() appends (number, message, hint) tuples.
    ids |= {f"E{int(number):03d}" for number in re.findall(r"problems\.append\(\s*\(\s*(\d+),", ldap_code)}
    return ids


def test_every_system_check_is_documented():
    documented = set()
    for table in tables(DOCS / "settings.md"):
        if table.header[:2] == ["id", "level"]:
            documented |= {first_code(cells[0]).removeprefix("otrs_customer_admin.") for cells in table.rows}
    ids = check_ids_in_code()
    assert len(ids) > 20, ids  # the scan found the checks
    assert sorted(ids - documented) == [], "checks missing from the table in settings.md"
    assert sorted(documented - ids) == [], "settings.md documents checks the code does not have"


# ---------------------------------------------------------------------------
# Every column name the import knows is documented
# ---------------------------------------------------------------------------


def documented_names(nodes):
    return {columns.normalise(span) for node in nodes for span in code_spans(node)}


@pytest.mark.parametrize(
    "heading, aliases",
    [
        ("Customers", columns.CUSTOMER_ALIASES),
        ("Customer users", columns.CUSTOMER_USER_ALIASES),
        ("SLAs", columns.SLA_ALIASES),
    ],
)
def test_every_column_alias_is_documented(heading, aliases):
    names = documented_names(section("import-export.md", heading))
    missing = sorted(
        name
        for field, field_aliases in aliases.items()
        for name in (field, *field_aliases)
        if columns.normalise(name) not in names
    )
    assert missing == [], f"import-export.md, {heading}: column names the import accepts but the page does not list"


def test_every_skipped_column_is_documented():
    names = documented_names(section("import-export.md", "Columns that are skipped"))
    assert sorted(columns.IGNORED - names) == []


# ---------------------------------------------------------------------------
# The snippets run
# ---------------------------------------------------------------------------

# Modules the docs name as a site's own, made for the snippet runs.
EXAMPLE_MODULES = {
    "myapp/__init__.py": "",
    "myapp/widgets.py": """
        from otrs_customer_admin.widgets import Widget


        class ContractsWidget(Widget):
            key = "contracts"
            title = "Contracts"
            template = "myapp/contracts.html"
    """,
}


def python_blocks():
    return [block for page in PAGES for block in blocks(page) if block.language in ("python", "py")]


def assigned_names(tree):
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        names |= {target.id for target in targets if isinstance(target, ast.Name)}
    return names


def file_name(block):
    """The file a block is, when its first line is a comment naming one (``# myproject/admin.py``)."""
    first = block.code.lstrip().splitlines()[0] if block.code.strip() else ""
    match = re.fullmatch(r"#\s*([\w/.-]+\.py)\s*", first)
    return match.group(1) if match else None


def kind(block, tree):
    if block.marker == "not-run":
        return "compile"
    if block.marker.startswith("same-as "):
        return "same-as"
    names = assigned_names(tree)
    if "urlpatterns" in names:
        return "urls"
    if file_name(block):
        return "file"
    if any(name.isupper() for name in names):
        return "settings"
    return "compile"


BLOCKS = python_blocks()


def test_the_docs_have_snippets_to_check():
    kinds = {}
    for block in BLOCKS:
        kinds.setdefault(kind(block, ast.parse(block.code)), []).append(str(block))
    assert len(kinds.get("settings", [])) >= 10, kinds
    assert kinds.get("urls"), kinds


def test_markers_are_known():
    for page in PAGES:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
            found = MARKER.match(line.strip())
            if found:
                assert found.group(1) == "not-run" or found.group(1).startswith(("same-as ", "import ")), (
                    f"{page.name}:{number}: unknown snippet marker {found.group(1)!r}"
                )


@pytest.fixture
def snippet_site(tmp_path):
    """A directory for the snippets' modules, with the docs' example modules in it."""
    for name, code in EXAMPLE_MODULES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(code).lstrip())
    return tmp_path


def write_module(root, relative, code):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(root).parents:
        init = root / parent / "__init__.py"
        if parent != Path(".") and not init.exists():
            init.write_text("")
    path.write_text(code)


def run_check(root, settings_code, label):
    write_module(root, "docsnippet_settings.py", settings_code)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), str(REPO), os.environ.get("PYTHONPATH", "")]),
        "DJANGO_SETTINGS_MODULE": "docsnippet_settings",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, str(REPO / "example_project" / "manage.py"), "check", "--fail-level", "WARNING"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{label}: manage.py check failed:\n{result.stdout}{result.stderr}"
    assert "System check identified no issues" in result.stdout, f"{label}:\n{result.stdout}{result.stderr}"


BASE_SETTINGS = "from tests.settings import *  # noqa: F403\n\n"


def page_files(block):
    """The file blocks of ``block``'s page above it: ``{path: code}``."""
    files = {}
    for other in blocks(block.page):
        if other.line >= block.line:
            break
        if other.language in ("python", "py") and file_name(other):
            files[file_name(other)] = other.code
    return files


def needs_ldap(tree):
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    return bool(imported & {"ldap", "django_auth_ldap"})


@pytest.mark.parametrize("block", BLOCKS, ids=[str(block) for block in BLOCKS])
def test_snippet(block, snippet_site):
    tree = compile(block.code, str(block), "exec", flags=ast.PyCF_ONLY_AST)
    compile(tree, str(block), "exec")
    what = kind(block, tree)
    if what == "same-as":
        path = REPO / block.marker.removeprefix("same-as ").strip()
        assert block.code.strip() in path.read_text(encoding="utf-8"), f"{block} differs from {path.name}"
        return
    if what in ("compile", "file"):
        return
    if needs_ldap(tree):
        pytest.importorskip("ldap", reason=harness.PYTHON_LDAP_HINT)
        pytest.importorskip("django_auth_ldap", reason=harness.PYTHON_LDAP_HINT)
    for relative, code in page_files(block).items():
        write_module(snippet_site, relative, code)
    if what == "settings":
        run_check(snippet_site, BASE_SETTINGS + block.code, str(block))
    else:
        relative = file_name(block) or "docsnippet_urls.py"
        write_module(snippet_site, relative, block.code)
        urlconf = relative.removesuffix(".py").replace("/", ".")
        run_check(snippet_site, f"{BASE_SETTINGS}ROOT_URLCONF = {urlconf!r}\n", str(block))


def test_same_as_blocks_of_other_languages():
    for page in PAGES:
        for block in blocks(page):
            if block.language not in ("python", "py") and block.marker.startswith("same-as "):
                path = REPO / block.marker.removeprefix("same-as ").strip()
                assert block.code.strip() in path.read_text(encoding="utf-8"), f"{block} differs from {path.name}"


# ---------------------------------------------------------------------------
# The example files import
# ---------------------------------------------------------------------------

IMPORT_MARKER = re.compile(r"import (customers|customer-users)(?: default-country=(\w+))?")


def import_blocks():
    found = {}
    for page in PAGES:
        for block in blocks(page):
            if block.marker.startswith("import "):
                match = IMPORT_MARKER.fullmatch(block.marker)
                assert match, f"{block}: unknown import marker {block.marker!r}"
                found.setdefault(page.name, []).append((block, match.group(1), match.group(2) or ""))
    return found


IMPORTS = import_blocks()


def test_the_docs_have_example_files():
    assert len(IMPORTS.get("migrating.md", [])) >= 4


def import_file(block, model, default_country, *, dry_run=False):
    from otrs_customer_admin.importexport.formats import format_for
    from otrs_customer_admin.importexport.importers import CustomerImport, CustomerUserImport

    header = block.code.splitlines()[0]
    name = "file.tsv" if "\t" in header else "file.csv"
    dataset = format_for(name).create_dataset(block.code.encode())
    importer = CustomerImport if model == "customers" else CustomerUserImport
    return importer(default_country=default_country).run(dataset, dry_run=dry_run)


@pytest.mark.django_db
@pytest.mark.parametrize("page", sorted(IMPORTS))
def test_example_files_import(page):
    for block, model, default_country in IMPORTS[page]:
        rows = len([line for line in block.code.splitlines()[1:] if line.strip()])
        report = import_file(block, model, default_country)
        assert [str(problem) for problem in report.problems] == [], f"{block}"
        assert report.created + report.updated == rows, f"{block}: {report.created} created, {report.updated} updated"
        again = import_file(block, model, default_country, dry_run=True)
        assert (again.unchanged, again.problems) == (rows, []), f"{block}: importing it again changes something"


def test_quickstart_installs_the_apps_the_wheel_test_runs_with():
    from tests.test_packaging import INSTALLED_APPS

    found = [block for block in blocks(DOCS / "quickstart.md") if "INSTALLED_APPS" in block.code]
    assert len(found) == 1
    namespace = {}
    exec(found[0].code, namespace)  # the docs' own text
    assert namespace["INSTALLED_APPS"] == INSTALLED_APPS


# ---------------------------------------------------------------------------
# Every message of the import and export is documented
# ---------------------------------------------------------------------------

TRANSLATED = {"_", "gettext", "gettext_lazy", "ngettext"}
PLACEHOLDER_SPEC = re.compile(r"%\(([a-z_]+)\)(?:\.\d)?[sdrf]")


def import_messages():
    """(module, message) for every translated message of importexport/, but command-line help."""
    root = REPO / "otrs_customer_admin" / "importexport"
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        helps = {
            id(node)
            for keyword in ast.walk(tree)
            if isinstance(keyword, ast.keyword) and keyword.arg == "help"
            for node in ast.walk(keyword.value)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in TRANSLATED and id(node) not in helps:
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    words = re.findall(r"[A-Za-z]{3,}", PLACEHOLDER_SPEC.sub("", first.value))
                    if len(words) >= 2:  # not a bare format such as "Line %(line)s: %(message)s"
                        found.append((path.relative_to(root).as_posix(), first.value))
    return found


def test_every_import_and_export_message_is_in_the_docs():
    documented = " ".join(text(node) for node in section("import-export.md", "Every message"))
    messages = import_messages()
    assert len(messages) > 50, messages  # the scan found them
    missing = [
        (module, message)
        for module, message in messages
        if " ".join(PLACEHOLDER_SPEC.sub(r"{\1}", message).split()) not in documented
    ]
    assert not missing, f"messages missing from import-export.md's 'Every message': {missing}"
