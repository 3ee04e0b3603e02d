"""A gemeente's own labelled history as training data: its system's CSV export and its mapping of its
category names onto ours. Pure, except reading the two files.

The CSV is what Signalen, Fixi, BuitenBeter or a KCC system exports: UTF-8 (a BOM is fine), a header row,
quoted texts that span lines, duplicates and one-word texts. The mapping is the gemeente's YAML: each of
its category names → a category id of categories.yaml, a department id of departments.yaml, or `skip`.
Every text is masked (BSN, IBAN, phone numbers, e-mail addresses) before it is kept or trained on.

A row mapped to a department but to no category of ours is learnt as the label `afdeling:<id>`: the
model's probability of it counts for that department, and its decisions carry no category.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml

from services.contract.categories import DEPARTMENT_LABEL_PREFIX, NO_CATEGORY
from services.contract.departments import RoutingConfig
from services.contract.vocabulary import MAX_TEXT_CHARS, TRIAGE
from services.router.decision.privacy import mask_personal_data
from services.router.decision.text import normalise_text

SKIP = "skip"
# A CSV field can be long (a mail pasted into a form); the csv module's default limit is 128 KiB.
MAX_FIELD_CHARS = 1_000_000
# Date formats Dutch systems export, tried after ISO 8601.
_DATE_FORMATS = ("%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M",
                 "%d/%m/%Y", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d")


# Where a row has no time it sorts first (file order among them).
_NO_TIME = datetime.min.replace(tzinfo=timezone.utc)


class HistoryError(ValueError):
    """The history or the mapping cannot be used as it is; the message says what to change."""


@dataclass(frozen=True)
class HistoryRow:
    text: str  # masked
    label: str  # a category id, NO_CATEGORY, or DEPARTMENT_LABEL_PREFIX + a department id
    at: datetime | None
    line: int  # the CSV record's number (1 = the first after the header), for messages


def department_label(department: str) -> str:
    return f"{DEPARTMENT_LABEL_PREFIX}{department}"


def department_of_label(label: str, config: RoutingConfig) -> str:
    """The department a label counts for (TRIAGE for no category or a webcare category)."""
    if label.startswith(DEPARTMENT_LABEL_PREFIX):
        return label.removeprefix(DEPARTMENT_LABEL_PREFIX)
    if label == NO_CATEGORY:
        return TRIAGE
    return config.department_of.get(label, TRIAGE)


def load_mapping(path: Path, config: RoutingConfig) -> dict[str, str]:
    """The gemeente's category name → a label (category id or `afdeling:<department>`) or SKIP.

    The YAML is a mapping of names to targets, at the top level or under `categories:`. A target that is
    neither a category id, a department id nor `skip` is an error that lists every such name."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise HistoryError(f"{path}: cannot read the mapping: {exc}") from exc
    if isinstance(document, dict) and isinstance(document.get("categories"), dict):
        document = document["categories"]
    if not isinstance(document, dict) or not document:
        raise HistoryError(f"{path}: expected a mapping of your category names to a category id, a department "
                           f"id or '{SKIP}'")
    categories = set(config.taxonomy.ids) | {NO_CATEGORY}
    departments = {d.id for d in config.departments}
    mapping, unknown = {}, []
    for name, target in document.items():
        target = str(target).strip() if target is not None else ""
        if target == SKIP:
            mapping[str(name)] = SKIP
        elif target in categories:
            mapping[str(name)] = target
        elif target in departments:
            mapping[str(name)] = department_label(target)
        else:
            unknown.append(f"{name!s} → {target or '(leeg)'}")
    if unknown:
        raise HistoryError(f"{path}: {len(unknown)} names map to no category id of categories.yaml, no department "
                           f"id of departments.yaml and not to '{SKIP}':\n  " + "\n  ".join(sorted(unknown)))
    return mapping


def parse_time(value: str) -> datetime | None:
    """An export's date and time (ISO 8601 or a Dutch day-month-year), as UTC when it names no zone."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        for form in _DATE_FORMATS:
            try:
                moment = datetime.strptime(value, form)
                break
            except ValueError:
                continue
        else:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Columns:
    text: str = "text"
    category: str = "category"
    time: str | None = None


def read_history(path: Path, columns: Columns, mapping: Mapping[str, str],
                 progress: Callable[[Iterable], Iterable] = lambda rows: rows) -> tuple[list[HistoryRow], Counter]:
    """The usable rows of the export, masked, and a count of what was left out and why.

    Raises HistoryError for a missing column, a category name the mapping does not know (all of them
    listed, with how often each occurs), or a time column whose values cannot be read."""
    csv.field_size_limit(min(sys.maxsize, MAX_FIELD_CHARS))
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise HistoryError(f"{path}: {exc}") from exc
    left_out: Counter = Counter()
    rows: list[HistoryRow] = []
    unmapped: Counter = Counter()
    unreadable_times: list[int] = []
    with handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        wanted = [c for c in (columns.text, columns.category, columns.time) if c]
        missing = [c for c in wanted if c not in header]
        if missing:
            raise HistoryError(f"{path}: no column {', '.join(repr(m) for m in missing)}; the header has "
                               f"{', '.join(repr(h) for h in header)} (choose with --text-column, "
                               f"--category-column, --time-column)")
        try:
            for number, record in enumerate(progress(reader), start=1):
                name = (record.get(columns.category) or "").strip()
                text = (record.get(columns.text) or "").strip()
                if name not in mapping:
                    unmapped[name or "(leeg)"] += 1
                    continue
                if mapping[name] == SKIP:
                    left_out["skip in the mapping"] += 1
                    continue
                if not text:
                    left_out["empty text"] += 1
                    continue
                at = None
                if columns.time:
                    at = parse_time(record.get(columns.time) or "")
                    if at is None:
                        unreadable_times.append(number)
                        continue
                rows.append(HistoryRow(mask_personal_data(text[:MAX_TEXT_CHARS]).text, mapping[name], at, number))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise HistoryError(f"{path}: not a readable UTF-8 CSV near record {reader.line_num}: {exc}") from exc
    if unmapped:
        raise HistoryError(f"{path}: {len(unmapped)} category names are not in the mapping (add each, or map it to "
                           f"'{SKIP}'):\n  " + "\n  ".join(f"{name} ({count}×)" for name, count in sorted(unmapped.items())))
    if unreadable_times:
        shown = ", ".join(str(n) for n in unreadable_times[:10])
        raise HistoryError(f"{path}: {len(unreadable_times)} rows have no readable time in {columns.time!r} (records "
                           f"{shown}{' ...' if len(unreadable_times) > 10 else ''}); ISO 8601 or dd-mm-jjjj [uu:mm]")
    return rows, left_out


def deduplicate(rows: list[HistoryRow]) -> tuple[list[HistoryRow], int]:
    """One row per text (compared normalised): the newest, with the label most rows of that text have (a
    text filed under two names is filed where most people put it). Returns the rows, in their order, and
    how many were dropped."""
    by_text: dict[str, list[HistoryRow]] = {}
    for row in rows:
        by_text.setdefault(normalise_text(row.text), []).append(row)
    kept = []
    for same in by_text.values():
        label = Counter(r.label for r in same).most_common(1)[0][0]
        newest = max((r for r in same if r.label == label), key=lambda r: (r.at or _NO_TIME, r.line))
        kept.append(newest)
    kept.sort(key=lambda r: r.line)
    return kept, len(rows) - len(kept)


def newest_last(rows: list[HistoryRow]) -> list[HistoryRow]:
    """Oldest first by time (file order where there is no time, or for equal times)."""
    return sorted(rows, key=lambda r: (r.at or _NO_TIME, r.line))


def split_newest(rows: list[HistoryRow], fraction: float) -> tuple[list[HistoryRow], list[HistoryRow]]:
    """(the older rows, the newest `fraction` of them), by time."""
    ordered = newest_last(rows)
    held = max(1, round(len(ordered) * fraction)) if ordered else 0
    return ordered[: len(ordered) - held], ordered[len(ordered) - held:]
