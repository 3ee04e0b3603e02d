"""The docs cannot rot silently: the commands, files, examples and make targets they name exist."""

from __future__ import annotations

import re
import tomllib

import pytest

from services.runtime.settings import REPO_ROOT

DOCS = sorted([REPO_ROOT / "README.md", *(REPO_ROOT / "docs").rglob("*.md"), REPO_ROOT / "k8s" / "README.md"])


def text_of(path) -> str:
    return path.read_text(encoding="utf-8")


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][\w-]*):", (REPO_ROOT / "Makefile").read_text(), re.M))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_make_target_named_exists(doc):
    named = set(re.findall(r"`make (?:-s )?([a-z][\w-]*)", text_of(doc)))
    assert named <= make_targets(), f"{doc.name} names make targets that do not exist: {named - make_targets()}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_console_script_and_module_named_exists(doc):
    scripts = set(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"])
    text = text_of(doc)
    named = set(re.findall(r"\.venv/bin/(gemeente-[a-z-]+)", text))
    assert named <= scripts, f"{doc.name} names console scripts that do not exist: {named - scripts}"
    for module in set(re.findall(r"python -m ((?:services|tools)(?:\.\w+)+)", text)):
        path = REPO_ROOT.joinpath(*module.split("."))
        assert path.with_suffix(".py").exists() or (path / "__main__.py").exists(), f"{doc.name}: {module} does not exist"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_repository_path_named_exists(doc):
    for path in set(re.findall(r"`((?:services|tools|deploy|k8s|protos|docs|tests)/[\w./<>-]*)`", text_of(doc))):
        if "<" in path or "*" in path:
            continue
        target = REPO_ROOT / path.rstrip("/")
        # `services/router/outputs.py` or a symbol in it, `services/runtime/redis_store.set_many`
        module_of_symbol = target.parent / (target.name.split(".")[0] + ".py")
        assert target.exists() or module_of_symbol.exists(), f"{doc.name} names {path}, which does not exist"


def test_every_example_is_shown_in_the_docs():
    docs_text = "\n".join(text_of(d) for d in DOCS)
    for example in (REPO_ROOT / "docs" / "examples").glob("*.py"):
        assert f"docs/examples/{example.name}" in docs_text, f"{example.name} is referenced nowhere"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_python_snippet_compiles_and_imports_what_exists(doc):
    """Snippets too short to run alone (the runnable ones are docs/examples/, run by the integration tests)
    must at least be Python and import only modules that exist."""
    import ast
    import importlib.util

    for snippet in re.findall(r"```python\n(.*?)```", text_of(doc), re.S):
        tree = ast.parse(snippet)  # raises on a snippet that is not Python
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                assert importlib.util.find_spec(node.module), f"{doc.name}: `from {node.module} import` fails"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert importlib.util.find_spec(alias.name), f"{doc.name}: `import {alias.name}` fails"
