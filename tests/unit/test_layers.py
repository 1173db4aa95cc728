"""The layers hold (STYLE, Layout): entry points → services → rules / infra, imports
pointing down only, and the pure rules loading neither Flask nor SQLAlchemy nor requests.

rules (0) < infra (1) < services (2) < web (3): a module imports its own layer or a lower
one. moderation/__init__.py is the app factory: it may import anything, but only inside
create_app, so that importing a pure module does not build the whole app.
"""

import ast
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "moderation"
LAYERS = {"rules": 0, "infra": 1, "services": 2, "web": 3}
FACTORY = "moderation"

# Web framework, database and network: never in a pure module, directly or not.
NOT_IN_RULES = ("flask", "werkzeug", "sqlalchemy", "alembic", "psycopg", "requests", "redis", "rq")
# The one module or package that may import each (STYLE, Layout; SPEC §3 (Markup): bleach).
SOLE_IMPORTER = {"requests": "moderation.infra.fetch", "bleach": "moderation.rules.sanitize"}
# What a third-party library loads at its own top, though the rule never uses it: mf2py
# imports requests, but microformats hands it the page (doc=), so it never fetches.
LOADED_BY_A_DEPENDENCY = {"moderation.rules.microformats": {"requests": "mf2py"}}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
RULES = sorted(name for name in MODULES if name.split(".")[1:2] == ["rules"])


def is_forbidden_in_rules(top_level: str) -> bool:
    return top_level in NOT_IN_RULES or top_level.startswith("flask_")


# (a) Importing a pure module, in an interpreter of its own.

PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted({name.partition(".")[0] for name in sys.modules})))
"""


@pytest.mark.parametrize("module", RULES)
def test_a_rules_module_imports_without_flask_sqlalchemy_or_requests(module):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, module],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    allowed = LOADED_BY_A_DEPENDENCY.get(module, {})
    forbidden = sorted(
        name for name in loaded if is_forbidden_in_rules(name) and allowed.get(name) not in loaded
    )
    assert not forbidden, (
        f"importing {module} loads {', '.join(forbidden)}: a pure module (and the package's "
        "__init__.py, which every import runs) must load no web framework, database or "
        "network library"
    )


# (b) Which way each import points, read from the source without importing it.


@dataclass(frozen=True)
class Imported:
    line: int
    target: str  # the module named, resolved to one of ours when it is ours
    statement: str
    in_create_app: bool
    type_checking_only: bool


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def layer_name(module: str) -> str:
    parts = module.split(".")
    if parts[0] != FACTORY:
        return "standard library" if parts[0] in sys.stdlib_module_names else "third-party"
    if module == FACTORY:
        return "the app factory"
    return f"{parts[1]}/" if len(parts) > 1 and parts[1] in LAYERS else "no layer"


def _targets(node: ast.Import | ast.ImportFrom, module: str) -> list[str]:
    """The modules an import statement names: `from a import b` names a.b when that is a
    module of ours, else a."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: from the package this module is in (or is)
        package = module.split(".")
        if MODULES[module].name != "__init__.py":
            package = package[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, node.module] if node.module else package)
    else:
        base = node.module or ""
    return [
        f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
        for alias in node.names
    ]


class _Imports(ast.NodeVisitor):
    """Every import statement of a module, wherever it stands, with where it stands."""

    def __init__(self, module: str, source: str) -> None:
        self.module = module
        self.source = source
        self.found: list[Imported] = []
        self._in_create_app = False
        self._type_checking = False

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        outer = self._in_create_app
        self._in_create_app = outer or node.name == "create_app"
        self.generic_visit(node)
        self._in_create_app = outer

    def visit_If(self, node: ast.If) -> None:
        test = ast.unparse(node.test)
        if test in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            outer = self._type_checking
            self._type_checking = True
            for child in node.body:
                self.visit(child)
            self._type_checking = outer
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def _add(self, node: ast.Import | ast.ImportFrom) -> None:
        statement = ast.get_source_segment(self.source, node) or ast.unparse(node)
        for target in _targets(node, self.module):
            self.found.append(
                Imported(node.lineno, target, statement, self._in_create_app, self._type_checking)
            )

    visit_Import = _add
    visit_ImportFrom = _add


def imports_of(module: str) -> list[Imported]:
    source = MODULES[module].read_text()
    visitor = _Imports(module, source)
    visitor.visit(ast.parse(source, str(MODULES[module])))
    return visitor.found


def why_not(module: str, imported: Imported) -> str | None:
    """Why this import breaks the layers; None when it keeps to them."""
    target = imported.target
    top_level = target.partition(".")[0]
    sole = SOLE_IMPORTER.get(top_level)
    if sole is not None and module != sole and not module.startswith(sole + "."):
        return f"only {sole} imports {top_level}"
    if module == FACTORY:
        if imported.in_create_app or imported.type_checking_only:
            return None
        if top_level in sys.stdlib_module_names:
            return None
        return "the factory imports the app's parts inside create_app, not at import"
    own = layer_of(module)
    if own is None:
        return "the module lies outside the layers rules/, infra/, services/ and web/"
    if top_level != FACTORY:  # third-party or the standard library
        if own == LAYERS["rules"] and is_forbidden_in_rules(top_level):
            return "a pure module imports no web framework, database or network library"
        return None
    if target == FACTORY:
        return "nothing imports the app factory"
    theirs = layer_of(target)
    if theirs is None:
        return f"{target} lies outside the layers"
    if theirs > own:
        return f"{layer_name(module)} may import only its own layer or a lower one"
    return None


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_import_points_down_the_layers(module):
    broken = [
        f"{MODULES[module].relative_to(ROOT)}:{imported.line}: {module} ({layer_name(module)})"
        f" imports {imported.target} ({layer_name(imported.target)}) in "
        f"`{imported.statement}`: {reason}"
        for imported in imports_of(module)
        if (reason := why_not(module, imported)) is not None
    ]
    assert not broken, "\n".join(broken)


def test_every_module_lies_in_a_layer_or_is_the_factory():
    outside = sorted(name for name in MODULES if name != FACTORY and layer_of(name) is None)
    assert not outside, f"outside rules/, infra/, services/ and web/: {', '.join(outside)}"
    assert FACTORY in MODULES and "moderation.rules.policy" in RULES  # the tests see them
