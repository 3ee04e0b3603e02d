"""`make model`: train the category classifier on the corpus's training split and choose the triage threshold.

Reproducible: seeded, and the same corpus gives the same model. The model learns categories
(deploy/config/categories.yaml); the router sums them into departments by the gemeente's mapping. The
threshold is chosen on out-of-fold predictions of the training split (grouped by situation), never on a
test set, at the department level of the default mapping: the lowest department confidence at which the
messages the model routes are right at least TARGET_ACCURACY of the time.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold, cross_val_predict

from services.contract.categories import NO_CATEGORY
from services.contract.departments import load_routing_config
from services.router.decision.classifier import (
    TextClassifier,
    build_pipeline,
    corpus_digest,
    read_corpus,
)
from services.router.training.generate_corpus import CORPUS, SEED
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE

TARGET_ACCURACY = 0.97
DEFAULT_OUTPUT = Path(__file__).resolve().parents[3] / "build" / "model" / "classifier.joblib"


def department_probabilities(
    probabilities: np.ndarray, labels: list[str], department_of: Mapping[str, str]
) -> tuple[np.ndarray, list[str]]:
    """Category probabilities summed into departments (columns: departments, then NO_CATEGORY)."""
    departments = sorted(set(department_of.values()))
    columns = [*departments, NO_CATEGORY]
    summed = np.zeros((probabilities.shape[0], len(columns)))
    for index, label in enumerate(labels):
        target = columns.index(NO_CATEGORY if label == NO_CATEGORY else department_of[label])
        summed[:, target] += probabilities[:, index]
    return summed, columns


def choose_threshold(probabilities: np.ndarray, labels: list[str], truth: list[str], target: float) -> float:
    """Lowest threshold whose routed (non-triage) out-of-fold predictions reach the target accuracy."""
    best = np.array(labels)[probabilities.argmax(axis=1)]
    confidence = probabilities.max(axis=1)
    truth_array = np.array(truth)
    for threshold in np.arange(0.2, 0.96, 0.01):
        routed = (confidence >= threshold) & (best != NO_CATEGORY)
        if routed.sum() == 0:
            break
        if (best[routed] == truth_array[routed]).mean() >= target:
            return round(float(threshold), 2)
    return 0.95


def train(
    corpus_path: Path = CORPUS,
    seed: int = SEED,
    departments_file: Path = DEFAULT_DEPARTMENTS_FILE,
    items: list[dict] | None = None,
) -> TextClassifier:
    """Train on the corpus file's training split (or on `items`, already a training split)."""
    config = load_routing_config(departments_file)
    corpus = items if items is not None else [i for i in read_corpus(corpus_path) if i["split"] == "train"]
    texts = [item["text"] for item in corpus]
    labels = [item["category"] for item in corpus]
    groups = [item["situation"] for item in corpus]
    terms = config.taxonomy.owned_terms()
    pipeline = build_pipeline(seed, terms)
    out_of_fold = cross_val_predict(
        build_pipeline(seed, terms), texts, labels, groups=groups, cv=GroupKFold(n_splits=5), method="predict_proba"
    )
    by_department, columns = department_probabilities(out_of_fold, sorted(set(labels)), config.department_of)
    truth = [label if label == NO_CATEGORY else config.department_of[label] for label in labels]
    threshold = choose_threshold(by_department, columns, truth, TARGET_ACCURACY)
    pipeline.fit(texts, labels)
    return TextClassifier(
        pipeline,
        threshold,
        {"corpus_sha256_16": corpus_digest(corpus_path) if items is None else "in-memory", "seed": seed, "train_messages": len(corpus),
         "target_routed_accuracy": TARGET_ACCURACY},
    )


def main() -> None:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT
    started = time.monotonic()
    classifier = train()
    classifier.save(output)
    print(
        f"model: {classifier.metadata['train_messages']} training messages, {len(classifier.labels)} classes, "
        f"triage threshold {classifier.threshold:.2f} (chosen on out-of-fold predictions), "
        f"{time.monotonic() - started:.1f} s → {output}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
