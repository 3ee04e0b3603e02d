"""`make evaluate`: the router's decision (rules + model + threshold) on text it never trained on.

Two sets, reported apart:
* the generated test split: situations of held-out object groups (words the model never saw for that
  thing), in the generator's channel styles;
* the independent set (tests/fixtures/routing/independent.jsonl): messages written apart from the
  generator, never used for training or for choosing the threshold. Its figures are the ones that count.

For each: per-department precision/recall/F1, macro-F1, accuracy among routed messages, triage share,
category accuracy, a confusion matrix, and on the independent set also short reports apart and a
reliability table (is a confidence of 0.9 right 90% of the time?) with the expected calibration error.
Then the masking scores on the labelled PII set.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import classification_report, confusion_matrix, f1_score

from services.contract import codec
from services.contract.categories import NO_CATEGORY
from services.contract.departments import RoutingConfig, load_routing_config
from services.contract.vocabulary import TRIAGE
from services.router.decision.classifier import TextClassifier, read_corpus
from services.router.decision.deciders import ModelDecider, RuleDecider
from services.router.training.generate_corpus import CORPUS, build_corpus
from services.router.training.privacy_eval import score_masking
from services.router.training.train import DEFAULT_OUTPUT, train
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE, REPO_ROOT

PII_SET = REPO_ROOT / "tests" / "fixtures" / "pii" / "labelled.jsonl"
INDEPENDENT_SET = REPO_ROOT / "tests" / "fixtures" / "routing" / "independent.jsonl"
RELIABILITY_BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0001)


@dataclass(frozen=True)
class Decided:
    department: str  # a department id, or TRIAGE
    category: str
    confidence: float


def decide(decider: ModelDecider, texts: list[str]) -> list[Decided]:
    messages = [codec.ContactMessage(text=text) for text in texts]
    return [Decided(TRIAGE if d.triage else d.department, d.category, d.confidence)
            for d in decider.decide_batch(messages)]


def true_department(item: dict, config: RoutingConfig) -> str:
    """What a person would do: the category's department; triage for no request or a general question."""
    if "department" in item:  # the independent set says it; a generated item has only its category
        return item["department"] if item["department"] != "geen" else TRIAGE
    category = item["category"]
    return TRIAGE if category == NO_CATEGORY else config.department_of.get(category, TRIAGE)


def reliability(truth: list[str], decided: list[Decided]) -> tuple[list[tuple[str, int, float, float]], float]:
    """Per confidence bin of the routed messages: count, mean confidence, accuracy; and the expected
    calibration error (|accuracy - confidence| weighted by bin size)."""
    routed = [(t, d) for t, d in zip(truth, decided) if d.department != TRIAGE]
    rows, error = [], 0.0
    for low, high in zip(RELIABILITY_BINS, RELIABILITY_BINS[1:]):
        in_bin = [(t, d) for t, d in routed if low <= d.confidence < high]
        if not in_bin:
            continue
        confidence = statistics.mean(d.confidence for _, d in in_bin)
        accuracy = sum(t == d.department for t, d in in_bin) / len(in_bin)
        rows.append((f"{low:.2f}–{min(high, 1.0):.2f}", len(in_bin), confidence, accuracy))
        error += len(in_bin) / len(routed) * abs(accuracy - confidence)
    return rows, error


def measures(truth: list[str], decided: list[Decided], categories: list[str] | None = None) -> dict:
    predicted = [d.department for d in decided]
    departments = sorted({t for t in truth if t != TRIAGE})
    with_department = [(t, p) for t, p in zip(truth, predicted) if t != TRIAGE]
    routed = [(t, p) for t, p in zip(truth, predicted) if p != TRIAGE]
    result = {
        "truth": truth,
        "predicted": predicted,
        "departments": departments,
        "messages": len(truth),
        "macro_f1": f1_score(truth, predicted, labels=departments, average="macro", zero_division=0),
        "triage_rate": sum(p == TRIAGE for p in predicted) / len(predicted),
        "triage_rate_with_department": (sum(p == TRIAGE for _, p in with_department) / len(with_department)
                                        if with_department else 0.0),
        "routed_accuracy": sum(t == p for t, p in routed) / len(routed) if routed else 0.0,
    }
    if categories is not None:
        scored = [(c, d.category) for c, d in zip(categories, decided) if d.department != TRIAGE and c != NO_CATEGORY]
        result["category_accuracy"] = sum(c == p for c, p in scored) / len(scored) if scored else 0.0
    return result


def evaluate_classifier(classifier: TextClassifier, items: list[dict], config: RoutingConfig | None = None) -> dict:
    config = config or load_routing_config(DEFAULT_DEPARTMENTS_FILE)
    decider = ModelDecider(classifier, RuleDecider(config, 0.5))
    decided = decide(decider, [item["text"] for item in items])
    truth = [true_department(item, config) for item in items]
    result = measures(truth, decided, [item.get("category", "") for item in items])
    result["threshold"] = decider.threshold
    result["decided"] = decided
    return result


def evaluate(model_path: Path = DEFAULT_OUTPUT, corpus_path: Path = CORPUS) -> dict:
    """The generated test split (held-out object groups) with the model at `model_path`."""
    test = [item for item in read_corpus(corpus_path) if item["split"] == "test"]
    return evaluate_classifier(TextClassifier.load(model_path), test)


def read_independent(path: Path = INDEPENDENT_SET) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def repeated_splits(count: int) -> list[dict]:
    """The same measures over other group splits (other seeds): how much the figures vary."""
    results = []
    for seed in range(1, count + 1):
        corpus = build_corpus(seed)
        classifier = train(seed=seed, items=[i for i in corpus if i["split"] == "train"])
        results.append(evaluate_classifier(classifier, [i for i in corpus if i["split"] == "test"]))
    return results


def report_text(title: str, result: dict) -> str:
    """Per department precision/recall/F1, macro-F1, routed accuracy, triage, the confusion matrix."""
    labels = [*result["departments"], TRIAGE]
    lines = [f"== {title}: {result['messages']} messages; triage threshold {result['threshold']:.2f}\n",
             classification_report(result["truth"], result["predicted"], labels=labels, digits=3, zero_division=0),
             f"macro-F1 (departments)                   {result['macro_f1']:.3f}",
             f"accuracy among routed messages           {result['routed_accuracy']:.3f}",
             f"triage rate (all messages)               {result['triage_rate']:.3f}",
             f"triage rate (messages with a department) {result['triage_rate_with_department']:.3f}"]
    if "category_accuracy" in result:
        lines.append(f"category right among routed              {result['category_accuracy']:.3f}")
    matrix = confusion_matrix(result["truth"], result["predicted"], labels=labels)
    width = max(len(label) for label in labels)
    lines += ["\nconfusion matrix (rows: truth, columns: decision)",
              " " * (width + 1) + " ".join(f"{label[:6]:>6}" for label in labels)]
    lines += [f"{label:<{width}} " + " ".join(f"{value:>6}" for value in row) for label, row in zip(labels, matrix)]
    return "\n".join(lines) + "\n"


def print_report(title: str, result: dict) -> None:
    print(report_text(title, result))


def main() -> None:
    model_path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT
    classifier = TextClassifier.load(model_path)
    config = load_routing_config(DEFAULT_DEPARTMENTS_FILE)
    generated = [item for item in read_corpus(CORPUS) if item["split"] == "test"]
    print_report("generated test split (held-out object groups)", evaluate_classifier(classifier, generated, config))

    independent = read_independent()
    result = evaluate_classifier(classifier, independent, config)
    print_report("independent set (written apart from the generator)", result)
    short = [i for i in independent if i.get("kind") == "short_report"]
    short_result = evaluate_classifier(classifier, short, config)
    print(f"short reports alone ({len(short)}): macro-F1 {short_result['macro_f1']:.3f}, routed accuracy "
          f"{short_result['routed_accuracy']:.3f}, triage {short_result['triage_rate']:.3f}")
    rows, error = reliability(result["truth"], result["decided"])
    print("\nreliability of the routed decisions on the independent set (confidence bin: count, mean "
          "confidence, accuracy)")
    for label, count, confidence, accuracy in rows:
        print(f"  {label:<10} {count:>5}  {confidence:.3f}  {accuracy:.3f}")
    print(f"expected calibration error {error:.3f}")

    splits = int(os.environ.get("EVALUATE_SPLITS", "3"))
    if splits:
        others = repeated_splits(splits)
        print(f"\ngenerated split over {splits} other group splits (seeds 1..{splits}), mean ± sd:")
        for key, name in (("macro_f1", "macro-F1"), ("routed_accuracy", "accuracy among routed"),
                          ("triage_rate_with_department", "triage rate (with a department)")):
            values = [r[key] for r in others]
            print(f"  {name:<34} {statistics.mean(values):.3f} ± {statistics.pstdev(values):.3f}")
    masking = score_masking(PII_SET)
    print(f"\nPII masking on {masking.targets} labelled items and {masking.decoys} decoys: recall {masking.recall:.3f} "
          f"({', '.join(f'{k} {v:.2f}' for k, v in masking.recall_by_kind.items())}), "
          f"false-positive rate {masking.false_positive_rate:.3f}")


if __name__ == "__main__":
    main()
