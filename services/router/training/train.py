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

from services.contract.categories import NO_CATEGORY, department_labels
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
# For a model of the gemeente's own history: the accuracy its routed messages must reach on its newer
# reports (the goal: >= 0.95 routed, at most 10% triage).
HISTORY_TARGET_ACCURACY = 0.95
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
    truth = department_truth(labels, config.department_of)
    threshold = choose_threshold(by_department, columns, truth, TARGET_ACCURACY)
    pipeline.fit(texts, labels)
    return TextClassifier(
        pipeline,
        threshold,
        {"corpus_sha256_16": corpus_digest(corpus_path) if items is None else "in-memory", "seed": seed, "train_messages": len(corpus),
         "target_routed_accuracy": TARGET_ACCURACY, "kind": "corpus"},
    )


# Once a gemeente's history is large, the corpus keeps at most this share of the training weight: its own
# words decide, and the corpus still teaches the categories its history lacks. A small history does not
# shrink the corpus (each corpus text weighs at most as much as a history text).
CORPUS_SHARE = 0.25


def corpus_weight(history_count: int, corpus_count: int, share: float = CORPUS_SHARE) -> float:
    """The weight of one corpus text when a history text weighs 1."""
    if not corpus_count:
        return 0.0
    return min(1.0, share / (1 - share) * history_count / corpus_count)


def fit_weighted(texts: list[str], labels: list[str], weights: list[float], seed: int,
                 terms: tuple[tuple[str, str, float], ...]):  # noqa: ANN201 - an sklearn Pipeline
    pipeline = build_pipeline(seed, terms)
    pipeline.fit(texts, labels, model__sample_weight=np.asarray(weights))
    return pipeline


def department_truth(labels: list[str], department_of: Mapping[str, str]) -> list[str]:
    """The department of each label, NO_CATEGORY for none (the columns of department_probabilities)."""
    return [NO_CATEGORY if label == NO_CATEGORY else department_of[label] for label in labels]


def train_on_history(history: list[tuple[str, str]], calibration: list[tuple[str, str]], corpus: list[dict],
                     seed: int = SEED, departments_file: Path = DEFAULT_DEPARTMENTS_FILE,
                     target: float = HISTORY_TARGET_ACCURACY, step=lambda name: None) -> TextClassifier:  # noqa: ANN001
    """A model of the gemeente's history (text, label) and the corpus, weighted by corpus_weight().

    The threshold is chosen on `calibration`, newer history the first fit did not see (the gemeente's own
    text, never generated text); then the model is fitted again on history and calibration together.
    `step(name)` is told when each long step starts (a progress bar)."""
    config = load_routing_config(departments_file)
    terms = config.taxonomy.owned_terms()
    department_of = {**config.department_of, **department_labels(
        {label for _, label in (*history, *calibration)}, (d.id for d in config.departments))}
    corpus_texts = [item["text"] for item in corpus]
    corpus_labels = [item["category"] for item in corpus]

    def fit(rows: list[tuple[str, str]]):  # noqa: ANN202
        weight = corpus_weight(len(rows), len(corpus))
        return fit_weighted([t for t, _ in rows] + corpus_texts, [label for _, label in rows] + corpus_labels,
                            [1.0] * len(rows) + [weight] * len(corpus), seed, terms)

    threshold = 0.5
    if calibration:
        step("fit for the threshold")
        first = fit(history)
        probabilities = first.predict_proba([t for t, _ in calibration])
        by_department, columns = department_probabilities(probabilities, list(first.classes_), department_of)
        threshold = choose_threshold(by_department, columns, department_truth([label for _, label in calibration],
                                                                               department_of), target)
    step("final fit")
    rows = history + calibration
    pipeline = fit(rows)
    return TextClassifier(pipeline, threshold, {
        "kind": "history", "seed": seed, "history_messages": len(rows), "corpus_messages": len(corpus),
        "corpus_weight": round(corpus_weight(len(rows), len(corpus)), 4), "target_routed_accuracy": target,
        "threshold_chosen_on": f"{len(calibration)} newer history messages",
    })


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
