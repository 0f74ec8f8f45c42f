"""The import arrows of DESIGN.md, checked against the code's own imports.

Each package may import only what its row allows (its own modules always). Imports under
``if TYPE_CHECKING:`` are type hints, not arrows, and are not counted; imports inside functions are.
The table mirrors DESIGN.md's; ``docs/architecture.md`` shows it to readers. Change the three
together.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "byzer_engine"

# Root modules that hold no engine logic and import only the standard library: the version, the one
# reading of boolean words, the one exception family and the one plugin style. Everyone may import
# them (they load nothing else, so Ray and Spark workers may import them too).
SHARED = ("byzer_engine", "byzer_engine.booleans", "byzer_engine.errors", "byzer_engine.plugins")

# Plugin contracts of the runtime that plugin packages (llm, python) may implement, and the engine's
# one Ray connection (from EngineConfig's address) that both use.
CONTRACTS = (
    "byzer_engine.runtime.ets.base",
    "byzer_engine.runtime.sources.base",
    "byzer_engine.runtime.ray_connect",
    "byzer_engine.runtime.explain.calls",
    "byzer_engine.runtime.progress.sources",
)


@dataclass(frozen=True)
class Row:
    """What the modules under ``package`` may import (module-name prefixes)."""

    package: str
    internal: tuple[str, ...]
    # Third-party packages it must NOT import (the rest of the world is free).
    forbidden: tuple[str, ...] = ()
    # Modules of the package that may import a forbidden package anyway: {third-party: modules}.
    exceptions: tuple[tuple[str, tuple[str, ...]], ...] = ()


HEAVY = ("pyspark", "py4j", "ray", "torch", "transformers", "peft", "vllm", "fastapi", "uvicorn")

TABLE: tuple[Row, ...] = (
    Row("byzer_engine.lang", (), (*HEAVY, "httpx", "typer", "rich", "mysql_mimic")),
    Row("byzer_engine.policy", ("byzer_engine.lang.errors",), HEAVY),
    Row(
        "byzer_engine.runtime",
        ("byzer_engine.lang", "byzer_engine.policy"),
        ("ray", "torch", "transformers", "peft", "vllm", "fastapi", "uvicorn", "mysql_mimic"),
        (("ray", ("byzer_engine.runtime.ray_connect",)),),
    ),
    Row(
        "byzer_engine.llm",
        ("byzer_engine.lang", "byzer_engine.policy", *CONTRACTS),
        ("pyspark", "fastapi", "uvicorn"),
        (
            (
                "pyspark",
                (
                    "byzer_engine.llm.udf",
                    "byzer_engine.llm.semantic_udf",
                    "byzer_engine.llm.qa.index",
                    "byzer_engine.llm.qa.builder",
                    "byzer_engine.llm.finetune.feed",
                    "byzer_engine.llm.finetune.tables",
                    "byzer_engine.llm.batch.runner",
                ),
            ),
        ),
    ),
    Row(
        "byzer_engine.python",
        ("byzer_engine.lang", "byzer_engine.policy", *CONTRACTS),
        ("torch", "transformers", "fastapi", "uvicorn"),
    ),
    Row(
        "byzer_engine.server",
        ("byzer_engine.runtime", "byzer_engine.llm", "byzer_engine.policy", "byzer_engine.lang.errors"),
        ("pyspark", "py4j", "ray", "torch", "typer"),
    ),
    Row(
        "byzer_engine.console",
        ("byzer_engine.server.app", "byzer_engine.server.auth", "byzer_engine.lang.errors"),
        ("pyspark", "py4j", "ray", "torch"),
    ),
    Row(
        "byzer_engine.wire",
        ("byzer_engine.runtime", "byzer_engine.lang", "byzer_engine.policy"),
        ("fastapi", "torch", "ray"),
    ),
    Row(
        "byzer_engine.cli",
        (
            "byzer_engine.runtime",
            "byzer_engine.lang",
            "byzer_engine.policy",
            "byzer_engine.server",
            "byzer_engine.console",
            "byzer_engine.wire",
            "byzer_engine.client",
        ),
        ("ray", "torch"),
    ),
    Row("byzer_engine.client", (), (*HEAVY, "sqlglot")),
    # ``python -m byzer_engine``: the CLI.
    Row("byzer_engine.__main__", ("byzer_engine.cli",)),
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skipped.update(id(n) for n in ast.walk(child))
    return skipped


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The modules ``module`` imports (``from a import b`` counts as ``a.b`` when that is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return found


def _row_of(module: str) -> Row | None:
    best: Row | None = None
    for row in TABLE:
        if (module == row.package or module.startswith(row.package + ".")) and (
            best is None or len(row.package) > len(best.package)
        ):
            best = row
    return best


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations() -> list[str]:
    modules = _modules()
    known = set(modules)
    found: list[str] = []
    for module, path in sorted(modules.items()):
        row = _row_of(module)
        for imported in sorted(imports_of(module, path, known)):
            if imported.startswith("byzer_engine"):
                if row is None:
                    if imported not in SHARED:
                        found.append(f"{module} imports {imported} (root modules import only {SHARED})")
                    continue
                if _under(imported, (row.package,)) or imported in SHARED:
                    continue
                if not _under(imported, row.internal):
                    found.append(f"{module} imports {imported}: {row.package} may import {row.internal}")
                continue
            if row is None:
                continue
            top = imported.split(".")[0]
            if top in row.forbidden:
                allowed = dict(row.exceptions).get(top, ())
                if module not in allowed:
                    found.append(f"{module} imports {top}, which {row.package} may not")
    return found


def test_every_package_imports_only_what_design_md_allows() -> None:
    assert violations() == []


def test_every_package_has_a_row() -> None:
    """A new package needs its row in the table (and in DESIGN.md) before it lands."""
    packages = {
        _module_name(p.parent) for p in PACKAGE.glob("*/__init__.py") if p.parent.name != "__pycache__"
    }
    rows = {row.package for row in TABLE}
    assert packages <= rows, sorted(packages - rows)


@pytest.mark.parametrize(
    ("module", "imported", "allowed"),
    [
        ("byzer_engine.lang.parser", "byzer_engine.runtime.engine", False),
        ("byzer_engine.lang.parser", "pyspark.sql", False),
        ("byzer_engine.runtime.engine", "byzer_engine.llm.udf", False),
        ("byzer_engine.llm.deploy", "pyspark.sql", False),
        ("byzer_engine.llm.udf", "pyspark.sql", True),
        ("byzer_engine.llm.et", "byzer_engine.runtime.ets.base", True),
        ("byzer_engine.llm.et", "byzer_engine.runtime.engine", False),
        ("byzer_engine.server.app", "byzer_engine.cli.serve", False),
        ("byzer_engine.client", "byzer_engine.lang.errors", False),
        ("byzer_engine.client", "byzer_engine.errors", True),
    ],
)
def test_the_checker_catches_what_the_table_forbids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, imported: str, allowed: bool
) -> None:
    """The checker itself, on a synthetic module: a wrong arrow is reported, a right one is not."""
    fake_root = tmp_path
    relative = Path(*module.split(".")).with_suffix(".py")
    target = fake_root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    for parent in [target.parent, *target.parent.parents]:
        if parent == fake_root:
            break
        (parent / "__init__.py").touch()
    target.write_text(f"import {imported}\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", fake_root)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake_root / "byzer_engine")
    reported = violations()
    assert (reported == []) is allowed, reported
