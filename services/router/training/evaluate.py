"""`make evaluate`: the router's decision (rules + model + threshold) on the corpus's test split.

Prints per-department precision, recall and F1, macro-F1, the triage rate, accuracy among routed
messages, a confusion matrix, and the PII masking scores on the labelled set. The test split holds
situations the model never saw in training (see generate_corpus.py).
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

from sklearn.metrics import classification_report, confusion_matrix, f1_score

from services.contract import codec
from services.contract.departments import load_routing_config
from services.contract.vocabulary import TRIAGE
from services.router.decision.classifier import NO_DEPARTMENT, TextClassifier, read_corpus
from services.router.decision.deciders import ModelDecider, RuleDecider
from services.router.training.generate_corpus import CORPUS, build_corpus
from services.router.training.privacy_eval import score_masking
from services.router.training.train import DEFAULT_OUTPUT, train
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE, REPO_ROOT

PII_SET = REPO_ROOT / "tests" / "fixtures" / "pii" / "labelled.jsonl"


def predictions(decider: ModelDecider, items: list[dict]) -> list[str]:
    messages = [codec.ContactMessage(text=item["text"]) for item in items]
    return [TRIAGE if d.triage else d.department for d in decider.decide_batch(messages)]


def evaluate(model_path: Path = DEFAULT_OUTPUT, corpus_path: Path = CORPUS) -> dict:
    test = [item for item in read_corpus(corpus_path) if item["split"] == "test"]
    return evaluate_classifier(TextClassifier.load(model_path), test)


def evaluate_classifier(classifier: TextClassifier, test: list[dict]) -> dict:
    config = load_routing_config(DEFAULT_DEPARTMENTS_FILE)
    decider = ModelDecider(classifier, RuleDecider(config.departments, 0.5))
    predicted = predictions(decider, test)
    # A message for no department is right when it goes to triage.
    truth = [TRIAGE if item["label"] == NO_DEPARTMENT else item["label"] for item in test]
    departments = sorted({t for t in truth if t != TRIAGE})
    with_department = [(t, p) for t, p in zip(truth, predicted) if t != TRIAGE]
    routed = [(t, p) for t, p in zip(truth, predicted) if p != TRIAGE]
    return {
        "truth": truth,
        "predicted": predicted,
        "departments": departments,
        "macro_f1": f1_score(truth, predicted, labels=departments, average="macro", zero_division=0),
        "triage_rate": sum(p == TRIAGE for p in predicted) / len(predicted),
        "triage_rate_with_department": sum(p == TRIAGE for _, p in with_department) / len(with_department),
        "routed_accuracy": sum(t == p for t, p in routed) / len(routed) if routed else 0.0,
        "threshold": decider.threshold,
        "test_messages": len(test),
    }


def repeated_splits(count: int) -> list[dict]:
    """The same measures over other situation splits (other seeds): how much the figures vary."""
    results = []
    for seed in range(1, count + 1):
        corpus = build_corpus(seed)
        classifier = train(seed=seed, items=[i for i in corpus if i["split"] == "train"])
        results.append(evaluate_classifier(classifier, [i for i in corpus if i["split"] == "test"]))
    return results


def main() -> None:
    model_path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT
    result = evaluate(model_path)
    labels = [*result["departments"], TRIAGE]
    print(f"test split: {result['test_messages']} messages from situations not seen in training; "
          f"triage threshold {result['threshold']:.2f}\n")
    print(classification_report(result["truth"], result["predicted"], labels=labels, digits=3, zero_division=0))
    print(f"macro-F1 (departments)            {result['macro_f1']:.3f}")
    print(f"accuracy among routed messages    {result['routed_accuracy']:.3f}")
    print(f"triage rate (all test messages)   {result['triage_rate']:.3f}")
    print(f"triage rate (messages with a department) {result['triage_rate_with_department']:.3f}\n")
    matrix = confusion_matrix(result["truth"], result["predicted"], labels=labels)
    width = max(len(label) for label in labels)
    print("confusion matrix (rows: truth, columns: decision)")
    print(" " * (width + 1) + " ".join(f"{label[:6]:>6}" for label in labels))
    for label, row in zip(labels, matrix):
        print(f"{label:<{width}} " + " ".join(f"{value:>6}" for value in row))
    splits = int(os.environ.get("EVALUATE_SPLITS", "3"))
    if splits:
        others = repeated_splits(splits)
        print(f"\nover {splits} other situation splits (seeds 1..{splits}), mean ± sd:")
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
