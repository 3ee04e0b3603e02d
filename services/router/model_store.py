"""Where the router's model lives: one file (ROUTER_MODEL_FILE) that every replica reads, the versions
promoted before it beside it, and the router's watch on it (ADR 0014).

Promoting writes the new model whole and then renames it over the file, so a reader sees the old model
or the new one, never half of one. The file it replaces is kept under `versions/`, and a log records
each promotion, so going back is one command (`gemeente-model rollback`). Replicas notice a new file
between batches and switch without a restart (services/router/worker.py).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from services.router.decision.classifier import TextClassifier

# Versions kept for rollback (each is a whole model file, a few MB to tens of MB).
KEPT_VERSIONS = 5


def versions_dir(model_file: Path) -> Path:
    return model_file.parent / "versions"


def _log(model_file: Path) -> Path:
    return versions_dir(model_file) / "promotions.jsonl"


def promotions(model_file: Path) -> list[dict]:
    """The promotion log, oldest first: {"version", "previous", "at", "how"}."""
    log = _log(model_file)
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]


def _record(model_file: Path, entry: dict) -> None:
    with _log(model_file).open("a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")


def _keep(model_file: Path, version: str) -> None:
    """Copy the model file in place now into versions/<version>.joblib (if not there yet), keeping the last
    KEPT_VERSIONS files."""
    directory = versions_dir(model_file)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{version}.joblib"
    if not target.exists():
        partial = directory / f".{version}.partial"
        shutil.copyfile(model_file, partial)
        partial.replace(target)
    kept = sorted(directory.glob("*.joblib"), key=lambda p: p.stat().st_mtime)
    for old in kept[:-KEPT_VERSIONS]:
        old.unlink()


def current_version(model_file: Path) -> str | None:
    return TextClassifier.load(model_file).version if model_file.exists() else None


def promote(classifier: TextClassifier, model_file: Path, how: str = "train") -> str:
    """Make `classifier` the model at `model_file`; the version it replaced is kept. Its version."""
    previous = current_version(model_file)
    if previous is not None:
        _keep(model_file, previous)
    version = classifier.save(model_file)
    _keep(model_file, version)
    _record(model_file, {"version": version, "previous": previous, "at": time.time(), "how": how})
    return version


class NothingToRollBack(RuntimeError):
    pass


def rollback(model_file: Path) -> tuple[str, str]:
    """Put back the version the current one replaced; (from, to)."""
    log = promotions(model_file)
    current = current_version(model_file)
    entry = next((e for e in reversed(log) if e["version"] == current and e.get("previous")), None)
    if entry is None:
        raise NothingToRollBack(f"no earlier version recorded for {current or 'no model'} in {_log(model_file)}")
    kept = versions_dir(model_file) / f"{entry['previous']}.joblib"
    if not kept.exists():
        raise NothingToRollBack(f"version {entry['previous']} is no longer kept ({kept} is gone)")
    partial = model_file.with_name(f".{model_file.name}.partial")
    shutil.copyfile(kept, partial)
    partial.replace(model_file)
    _record(model_file, {"version": entry["previous"], "previous": current, "at": time.time(), "how": "rollback"})
    return current or "", entry["previous"]


@dataclass(frozen=True)
class FileSignature:
    inode: int
    size: int
    mtime_ns: int


def signature(path: Path) -> FileSignature | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return FileSignature(stat.st_ino, stat.st_size, stat.st_mtime_ns)


class ModelWatch:
    """Whether the model file changed since the last look (a rename over it gives a new inode)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen = signature(path)

    def changed(self) -> bool:
        """True once per change."""
        current = signature(self.path)
        if current is None or current == self.seen:
            return False
        self.seen = current
        return True
