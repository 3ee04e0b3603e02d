"""The Python version the project says it needs is one every locked package installs on."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib

from packaging.specifiers import SpecifierSet

from services.runtime.settings import REPO_ROOT


def minimum_python() -> str:
    requires = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    [minimum] = re.findall(r">=\s*([\d.]+)", requires)
    return minimum


def test_every_locked_package_installs_on_the_python_we_require():
    minimum = minimum_python()
    locked = dict(line.split("==", 1) for line in (REPO_ROOT / "requirements.lock").read_text().splitlines()
                  if "==" in line and not line.startswith("#"))
    refusing = {}
    for name in locked:
        requires = importlib.metadata.metadata(name).get("Requires-Python")
        if requires and not SpecifierSet(requires).contains(minimum):
            refusing[name] = requires
    assert refusing == {}, f"raise requires-python above {minimum} (pyproject.toml, README, docs/quickstart.md)"


def test_the_readme_and_quickstart_name_that_version():
    minimum = minimum_python()
    for page in ("README.md", "docs/quickstart.md"):
        stated = re.findall(r"Python (3\.[\d.]+)\+", (REPO_ROOT / page).read_text())
        assert stated and set(stated) == {minimum}, page
