"""`make bench`, the decision's cost with a model trained on a gemeente-sized history (20,000 texts).

The cost per message depends on the model's size (vocabulary, labels), not on where its texts came
from, so the 20,000 texts here are the generator's in other seeds (a speed figure, never a quality one:
quality is measured on text written apart, docs/routing.md). Trained as `gemeente-model train` trains.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from services.router.decision.classifier import read_corpus
from services.router.training.generate_corpus import CORPUS, build_corpus
from services.router.training.train import train_on_history

HISTORY_TEXTS = int(os.environ.get("BENCH_HISTORY_TEXTS", "20000"))


def history_texts(count: int) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    seed = 100
    while len(rows) < count:
        rows += [(item["text"], item["category"]) for item in build_corpus(seed)]
        seed += 1
    return rows[:count]


def routing_cost_with_history_model(profile: Callable[[], float]) -> tuple[float, int]:
    """(ms per message of route_records with a model of HISTORY_TEXTS history texts and the corpus, the
    texts it was trained on); `profile()` measures with the model at ROUTER_MODEL_FILE."""
    rows = history_texts(HISTORY_TEXTS)
    corpus = [item for item in read_corpus(CORPUS) if item["split"] == "train"]
    classifier = train_on_history(rows[: len(rows) * 9 // 10], rows[len(rows) * 9 // 10:], corpus)
    with tempfile.TemporaryDirectory(prefix="gemeente-bench-model-") as tmp:
        path = Path(tmp) / "classifier.joblib"
        classifier.save(path)
        before = os.environ.get("ROUTER_MODEL_FILE")
        os.environ["ROUTER_MODEL_FILE"] = str(path)
        try:
            return profile(), len(rows) + len(corpus)
        finally:
            if before is None:
                os.environ.pop("ROUTER_MODEL_FILE")
            else:
                os.environ["ROUTER_MODEL_FILE"] = before
