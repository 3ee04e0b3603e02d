"""The floor plan holds: no import cycles, production code never imports the tools, and the pure domain
modules (decisions, normalisers, KPIs) import no I/O library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from services.runtime.settings import REPO_ROOT

IO_LIBRARIES = {"aiokafka", "kafka", "faust", "mode", "redis", "grpc", "aiohttp", "aiosmtpd", "prometheus_client",
                "requests", "urllib.request", "http.client", "socket", "subprocess"}
PURE = [
    *sorted((REPO_ROOT / "services" / "router" / "decision").glob("*.py")),
    *sorted((REPO_ROOT / "services" / "ingest").glob("*/normalise.py")),
    REPO_ROOT / "services" / "ingest" / "meta" / "messaging.py",
    REPO_ROOT / "services" / "ingest" / "payload.py",
    REPO_ROOT / "services" / "ingest" / "signatures.py",
    *(REPO_ROOT / "services" / "metrics" / f"{name}.py" for name in ("kpi", "ledger", "office_hours", "spikes")),
    REPO_ROOT / "services" / "contract" / "handling.py",
    REPO_ROOT / "services" / "ingest" / "channels.py",
    REPO_ROOT / "services" / "deployables.py",
]


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Modules imported at run time (imports under `if TYPE_CHECKING:` do not count)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {id(node) for stmt in ast.walk(tree) if isinstance(stmt, ast.If)
                 and getattr(stmt.test, "id", "") == "TYPE_CHECKING" for node in ast.walk(stmt)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def production_modules() -> dict[str, set[str]]:
    paths = [p for p in (REPO_ROOT / "services").rglob("*.py") if "generated" not in p.parts]
    names = {module_name(p) for p in paths}
    return {module_name(p): {m for m in imports(p) if m in names} for p in paths}


def test_there_is_no_import_cycle():
    graph = production_modules()
    visiting, done = [], set()

    def visit(module: str) -> None:
        if module in done:
            return
        assert module not in visiting, "import cycle: " + " → ".join(visiting[visiting.index(module):] + [module])
        visiting.append(module)
        for imported in graph.get(module, ()):
            visit(imported)
        visiting.pop()
        done.add(module)

    for module in graph:
        visit(module)


def test_production_code_never_imports_the_tools():
    for path in (REPO_ROOT / "services").rglob("*.py"):
        assert not any(m == "tools" or m.startswith("tools.") for m in imports(path)), path


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_pure_domain_logic_does_no_io(path: Path):
    io = {m for m in imports(path) for lib in IO_LIBRARIES if m == lib or m.startswith(lib + ".")}
    assert not io, f"{path.name} imports {io}: keep I/O in the shell"
