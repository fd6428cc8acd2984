"""The package's layers: every module imports only from its own layer or the layers below, and no
modules import each other in a circle.

The imports are read from the source with ``ast`` (all of them: those at the top of a module and
those inside a function, which run later but tie the modules together all the same), so a new
module has to find its place in ``LAYERS`` and a new import has to point down.
"""

import ast
from pathlib import Path

import otrs_customer_admin

PACKAGE = "otrs_customer_admin"

# Lowest first. A module belongs to the layer of the longest name here that it equals or lies under.
LAYERS = [
    # Settings, text and helpers that know nothing of customers.
    {"", "conf", "exceptions", "folding", "bidi", "durations", "busy", "admin_urls", "working_time"},
    # Where records come from: the data sources and their registry; no models.
    {"datasources"},
    {"models"},
    # The write kernel the bulk writers (import, sync, merge) share, the cleaning of the values they write, the history.
    {"writes", "values", "history"},
    # What works on the models: search, widgets, the directory sync, import and export, merging, privacy, the demo data.
    {"search", "widgets", "directory_sync", "importexport", "merge", "privacy", "demo"},
    # Background jobs: imports, exports and syncs run by a worker.
    {"jobs"},
    # What a site sees and runs: the admin, its template tags, the system checks.
    {"admin", "templatetags", "checks"},
    {"management"},
    # The app config wires everything together when Django is ready.
    {"apps"},
]

# Imports that point up and are known, (importing module, imported module) -> why they are still here.
# A listed import that no longer exists fails the test, so the list only shrinks.
KNOWN_UPWARD = {}


def module_files(root, package):
    """Dotted module name (without the package's own name) -> (path, is a package)."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root / package).with_suffix("").parts)
        if "migrations" in parts:
            continue
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        modules[".".join(parts)] = (path, is_package)
    return modules


def imports_of(root, package):
    """Module -> {imported module of the same package: first line importing it}, every import counted."""
    modules = module_files(root, package)

    def known(name):
        """The module ``name`` is, or the one it lies in (``models.Customer`` -> ``models``)."""
        while name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph = {}
    for name, (path, is_package) in modules.items():
        here = [package, *filter(None, name.split("."))]
        if not is_package:
            here.pop()
        found = {}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = here[: len(here) - node.level + 1] if node.level else []
                module = ".".join([*base, *filter(None, [node.module])])
                targets = [f"{module}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                if target == package or target.startswith(package + "."):
                    imported = known(target.removeprefix(package).removeprefix("."))
                    if imported != name:
                        found.setdefault(imported, node.lineno)
        graph[name] = found
    return graph


def layer_of(module, layers):
    """The index of ``module``'s layer, or ``None`` when no layer names it."""
    best = None
    for index, names in enumerate(layers):
        for prefix in names:
            if module == prefix or (prefix and module.startswith(prefix + ".")) or (not prefix and not module):
                if best is None or len(prefix) > len(best[1]):
                    best = (index, prefix)
    return None if best is None else best[0]


def upward_imports(graph, layers):
    """``(module, imported, line)`` for every import of a higher layer."""
    return [
        (module, imported, line)
        for module, found in graph.items()
        for imported, line in found.items()
        if layer_of(imported, layers) > layer_of(module, layers)
    ]


def circles(graph):
    """The groups of modules that import each other, directly or round a circle (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.get(module, ()):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(found)


def package_graph():
    root = Path(otrs_customer_admin.__file__).resolve().parent.parent
    return imports_of(root, PACKAGE)


def test_every_module_has_a_layer():
    unplaced = [module or PACKAGE for module in package_graph() if layer_of(module, LAYERS) is None]
    assert unplaced == [], "modules missing from LAYERS in tests/test_layers.py"


def test_no_module_imports_from_a_higher_layer():
    graph = package_graph()
    assert graph["models.base"]["datasources"], "the scan finds the imports"  # models build on the sources
    upward = upward_imports(graph, LAYERS)
    unknown = [
        f"{module}:{line} imports {imported}"
        for module, imported, line in upward
        if (module, imported) not in KNOWN_UPWARD
    ]
    assert not unknown, "imports from a higher layer:\n" + "\n".join(unknown)
    stale = sorted(set(KNOWN_UPWARD) - {(module, imported) for module, imported, _line in upward})
    assert stale == [], "KNOWN_UPWARD lists imports that are gone: drop them"


def test_the_data_sources_import_nothing_of_the_layers_above():
    """The sources are below the models: no model, no sync, no admin, not even in a function."""
    graph = package_graph()
    above = {
        f"{module} imports {imported}"
        for module, found in graph.items()
        if layer_of(module, LAYERS) == 1
        for imported in found
        if layer_of(imported, LAYERS) > 1
    }
    assert not above, "\n".join(sorted(above))


def test_no_modules_import_each_other_in_a_circle():
    found = circles(package_graph())
    assert not found, "modules importing each other in a circle:\n" + "\n".join(" <-> ".join(group) for group in found)


def test_the_scan_finds_an_import_in_a_function_that_points_up_and_closes_a_circle(tmp_path):
    package = tmp_path / "layered"
    (package / "low").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "low" / "__init__.py").write_text("from .base import Thing\n")
    (package / "low" / "base.py").write_text(
        "class Thing:\n    def run(self):\n        from ..high import run\n\n        return run(self)\n"
    )
    (package / "high.py").write_text("from layered.low import Thing\n\n\ndef run(thing):\n    return thing\n")
    graph = imports_of(tmp_path, "layered")
    assert graph == {"": {}, "low": {"low.base": 1}, "low.base": {"high": 3}, "high": {"low": 1}}
    layers = [{"", "low"}, {"high"}]
    assert upward_imports(graph, layers) == [("low.base", "high", 3)]
    assert circles(graph) == [["high", "low", "low.base"]]
