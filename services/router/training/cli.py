"""`gemeente-model`: train the router's model on a gemeente's own history and its staff's corrections,
say whether to trust it, promote it or refuse it, and go back to the version before.

  gemeente-model train --history FILE.csv --mapping MAPPING.yaml [--text-column NAME]
                       [--category-column NAME] [--time-column NAME] [--corrections] [--out PATH]
                       [--report PATH] [--force] [--evaluate-only]
  gemeente-model rollback [--out PATH]
  gemeente-model seed --from PATH [--out PATH]
  gemeente-model versions [--out PATH]

`train` holds out the newest 10% of the history (by --time-column, else the file's order), chooses the
triage threshold on the 10% before that, trains on the rest together with the corpus, and compares the
new model with the current one (the file at --out) on the held-out slice and on the independent set. A
model worse on either is not promoted unless --force. Exit status: 0 promoted (or --evaluate-only), 3
refused by the gate, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tqdm import tqdm

from services.contract.categories import DEPARTMENT_LABEL_PREFIX
from services.contract.departments import RoutingConfig, load_routing_config
from services.contract.vocabulary import TRIAGE
from services.router.decision.classifier import TextClassifier, read_corpus
from services.router.decision.privacy import mask_personal_data
from services.router.model_store import NothingToRollBack, promote, promotions, rollback
from services.router.training.evaluate import evaluate_classifier, read_independent, report_text
from services.router.training.generate_corpus import CORPUS, SEED
from services.router.training.history import (
    Columns,
    HistoryError,
    HistoryRow,
    deduplicate,
    department_label,
    department_of_label,
    load_mapping,
    read_history,
    split_newest,
)
from services.router.training.train import DEFAULT_OUTPUT, HISTORY_TARGET_ACCURACY, train_on_history
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE

HELD_OUT = 0.10  # the newest share of the history the model is judged on
CALIBRATION = 0.10  # the share before it the threshold is chosen on
# How much worse (macro-F1 or routed accuracy) a new model may be on a set before the gate refuses it:
# differences below this are noise on a few hundred messages.
TOLERANCE = 0.005
EXIT_REFUSED = 3


@dataclass(frozen=True)
class Comparison:
    name: str
    new: dict
    current: dict | None

    def worse(self, tolerance: float) -> list[str]:
        if self.current is None:
            return []
        return [f"{self.name}: {key} {self.new[key]:.3f} < {self.current[key]:.3f}"
                for key in ("macro_f1", "routed_accuracy") if self.new[key] < self.current[key] - tolerance]


def gate(comparisons: list[Comparison], tolerance: float = TOLERANCE) -> list[str]:
    """Why the new model may not be promoted (empty: it may)."""
    return [reason for comparison in comparisons for reason in comparison.worse(tolerance)]


def corrections_as_rows(corrections: list, config: RoutingConfig, first_line: int) -> list[HistoryRow]:
    """Staff placements (contact.corrections) as history: the newest correction of a message wins; its
    category, or its department where the person chose no category."""
    from services.contract import codec  # noqa: PLC0415 - only with --corrections
    from services.router.training.export_corrections import correction_text, latest_corrections  # noqa: PLC0415

    departments = {d.id for d in config.departments}
    rows = []
    for number, c in enumerate(latest_corrections(corrections), start=first_line):
        text = correction_text(c)
        if c.category in config.taxonomy.ids:
            label = c.category
        elif c.department in departments:
            label = department_label(c.department)
        else:
            continue  # placed with triage or a department this mapping no longer has
        rows.append(HistoryRow(mask_personal_data(text).text, label,
                               datetime.fromtimestamp(codec.epoch_seconds(c.corrected_at), timezone.utc)
                               if c.HasField("corrected_at") else None,
                               number))
    return rows


def evaluation_items(rows: list[HistoryRow], config: RoutingConfig) -> list[dict]:
    items = []
    for row in rows:
        department = department_of_label(row.label, config)
        items.append({"text": row.text, "department": "geen" if department == TRIAGE else department,
                      "category": "" if row.label.startswith(DEPARTMENT_LABEL_PREFIX) else row.label})
    return items


def summary(result: dict) -> dict:
    return {key: round(result[key], 4) for key in ("macro_f1", "routed_accuracy", "triage_rate")} | {
        "messages": result["messages"], "threshold": result["threshold"]}


def train_command(args: argparse.Namespace) -> int:
    started = time.monotonic()
    config = load_routing_config(args.departments)
    rows: list[HistoryRow] = []
    left_out: Counter = Counter()
    if args.history:
        if not args.mapping:
            raise HistoryError("--history needs --mapping (your category names → ours)")
        mapping = load_mapping(args.mapping, config)
        columns = Columns(args.text_column, args.category_column, args.time_column)
        rows, left_out = read_history(args.history, columns, mapping,
                                      progress=lambda it: tqdm(it, desc="reading and masking", unit=" rows"))
    if args.corrections:
        from services.router.training.export_corrections import read_corrections  # noqa: PLC0415
        from services.runtime.kafka import kafka_python_security  # noqa: PLC0415
        from services.runtime.settings import CommonSettings  # noqa: PLC0415

        settings = CommonSettings()
        corrections = read_corrections(settings.kafka_bootstrap_servers, **kafka_python_security(settings))
        placed = corrections_as_rows(corrections, config, first_line=len(rows) + 1)
        print(f"corrections: {len(placed)} staff placements from contact.corrections", file=sys.stderr)
        rows += placed
    rows, duplicates = deduplicate(rows)
    if len(rows) < 20:
        raise HistoryError(f"only {len(rows)} usable rows: too few to train and judge a model on")
    if not args.time_column and not args.corrections:
        print("no --time-column: the file's order is taken as oldest first", file=sys.stderr)
    older, held_out = split_newest(rows, HELD_OUT)
    history, calibration = split_newest(older, CALIBRATION / (1 - HELD_OUT))
    labels = Counter(r.label for r in rows)
    print(f"history: {len(rows)} rows ({duplicates} duplicates dropped; left out: "
          f"{', '.join(f'{k} {v}' for k, v in left_out.items()) or 'none'}), {len(labels)} labels; "
          f"training {len(history)}, threshold on {len(calibration)}, held out {len(held_out)} (the newest)",
          file=sys.stderr)

    corpus = [item for item in read_corpus(args.corpus) if item["split"] == "train"]
    bar = tqdm(total=2 if calibration else 1, desc="training", unit=" fits")
    steps: list[str] = []

    def step(name: str) -> None:  # a fit starts: the one before it is done
        if steps:
            bar.update(1)
        steps.append(name)
        bar.set_postfix_str(name)

    classifier = train_on_history([(r.text, r.label) for r in history], [(r.text, r.label) for r in calibration],
                                  corpus, seed=args.seed, departments_file=args.departments, target=args.target,
                                  step=step)
    bar.update(1)
    bar.close()
    classifier.metadata["trained_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")

    independent = read_independent(args.independent)
    held_items = evaluation_items(held_out, config)
    current = TextClassifier.load(args.out) if args.out.exists() else None
    comparisons = []
    report = [f"gemeente-model train: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; threshold "
              f"{classifier.threshold:.2f} chosen on {len(calibration)} newer history messages (target routed "
              f"accuracy {args.target:.2f}); corpus weight {classifier.metadata['corpus_weight']} per text "
              f"(a history text weighs 1)\n"]
    for name, items in (("held-out newest history", held_items), ("independent set", independent)):
        new = evaluate_classifier(classifier, items, config)
        old = evaluate_classifier(current, items, config) if current is not None else None
        comparisons.append(Comparison(name, new, old))
        report.append(report_text(f"new model on the {name}", new))
        if old is not None:
            report.append(report_text(f"current model ({current.version}) on the {name}", old))
    lines = ["== comparison (new vs current)"]
    for c in comparisons:
        for key in ("macro_f1", "routed_accuracy", "triage_rate"):
            before = f"{c.current[key]:.3f}" if c.current else "  –  "
            lines.append(f"{c.name:<26} {key:<16} new {c.new[key]:.3f}   current {before}")
    refusals = gate(comparisons, args.tolerance)
    lines.append("gate: " + ("passed" if not refusals else "REFUSED: " + "; ".join(refusals)))
    report.append("\n".join(lines) + "\n")

    promoted = None
    if args.evaluate_only:
        verdict = "evaluated only: nothing promoted"
    elif refusals and not args.force:
        verdict = f"not promoted: the new model is worse ({'; '.join(refusals)}); --force promotes it anyway"
    else:
        promoted = promote(classifier, args.out, how="train --force" if refusals else "train")
        verdict = f"promoted {promoted} to {args.out}" + (" (forced past the gate)" if refusals else "")
    report.append(verdict + f"\n({time.monotonic() - started:.0f} s)\n")
    text = "\n".join(report)
    print(text)
    report_path = args.report or args.out.parent / "reports" / f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.txt"
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(text, encoding="utf-8")
    report_path.with_suffix(".json").write_text(json.dumps({
        "promoted": promoted, "refusals": refusals, "threshold": classifier.threshold,
        "current": current.version if current else None,
        "sets": {c.name: {"new": summary(c.new), "current": summary(c.current) if c.current else None}
                 for c in comparisons},
        "history": {"rows": len(rows), "duplicates_dropped": duplicates, "labels": dict(labels),
                    "left_out": dict(left_out)},
    }, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"report: {report_path} (and .json)", file=sys.stderr)
    return EXIT_REFUSED if refusals and not args.force and not args.evaluate_only else 0


def rollback_command(args: argparse.Namespace) -> int:
    before, after = rollback(args.out)
    print(f"rolled back {args.out}: {before} → {after}; the routers switch within ROUTER_MODEL_POLL_SECONDS")
    return 0


def seed_command(args: argparse.Namespace) -> int:
    """The first model of an empty model volume: the image's corpus model, promoted once."""
    if args.out.exists():
        print(f"{args.out} exists ({TextClassifier.load(args.out).version}): nothing to seed")
        return 0
    version = promote(TextClassifier.load(getattr(args, "from")), args.out, how="seed")
    print(f"seeded {args.out} with {version}")
    return 0


def versions_command(args: argparse.Namespace) -> int:
    for entry in promotions(args.out):
        at = datetime.fromtimestamp(entry["at"], timezone.utc).strftime("%Y-%m-%d %H:%M")
        print(f"{at}  {entry['version']:<20} ({entry['how']}; before: {entry.get('previous') or '–'})")
    return 0


def parser() -> argparse.ArgumentParser:
    from services.router.training.evaluate import INDEPENDENT_SET  # noqa: PLC0415

    top = argparse.ArgumentParser(prog="gemeente-model", description=__doc__.split("\n\n")[0])
    commands = top.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train on a history and/or corrections, judge, promote")
    train.add_argument("--history", type=Path, help="the CSV your current system exports (UTF-8, a header)")
    train.add_argument("--mapping", type=Path, help="YAML: each of your category names → a category id, a "
                       "department id or skip")
    train.add_argument("--text-column", default="text")
    train.add_argument("--category-column", default="category")
    train.add_argument("--time-column", help="the newest 10%% by this column are held out (default: file order)")
    train.add_argument("--corrections", action="store_true", help="add the staff's placements from contact.corrections "
                       "(KAFKA_BOOTSTRAP_SERVERS)")
    train.add_argument("--out", type=Path, default=DEFAULT_OUTPUT, help="the model file to compare with and promote "
                       "to (default: the model `make run` uses)")
    train.add_argument("--report", type=Path, help="where the report goes (default: <out dir>/reports/<time>.txt)")
    train.add_argument("--force", action="store_true", help="promote even if the gate refuses")
    train.add_argument("--evaluate-only", action="store_true", help="judge, but do not promote")
    train.add_argument("--tolerance", type=float, default=TOLERANCE)
    train.add_argument("--target", type=float, default=HISTORY_TARGET_ACCURACY, help="routed accuracy the threshold aims at")
    train.add_argument("--seed", type=int, default=SEED)
    train.add_argument("--corpus", type=Path, default=CORPUS)
    train.add_argument("--independent", type=Path, default=INDEPENDENT_SET)
    train.add_argument("--departments", type=Path, default=DEFAULT_DEPARTMENTS_FILE)
    train.set_defaults(run=train_command)
    for name, run, text in (("rollback", rollback_command, "put back the version before the current one"),
                            ("versions", versions_command, "the promotions so far")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--out", type=Path, default=DEFAULT_OUTPUT)
        command.set_defaults(run=run)
    seed = commands.add_parser("seed", help="promote --from to --out if --out has no model yet")
    seed.add_argument("--from", type=Path, required=True)
    seed.add_argument("--out", type=Path, default=DEFAULT_OUTPUT)
    seed.set_defaults(run=seed_command)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "train" and not args.history and not args.corrections:
        parser().error("train needs --history FILE.csv (with --mapping) and/or --corrections")
    try:
        return args.run(args)
    except (HistoryError, NothingToRollBack) as exc:
        print(f"gemeente-model: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
