"""A gemeente's history export: quoted multi-line texts, duplicates, one-word texts, its own category
names mapped onto ours or skipped, clear errors for what cannot be used, masking before anything is kept."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest

from services.contract.departments import load_routing_config
from services.router.training.history import (
    SKIP,
    Columns,
    HistoryError,
    deduplicate,
    department_label,
    load_mapping,
    parse_time,
    read_history,
    split_newest,
)
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE

CONFIG = load_routing_config(DEFAULT_DEPARTMENTS_FILE)
COLUMNS = Columns("omschrijving", "categorie", "datum")


def export(path: Path, rows: list[tuple[str, str, str]], header=("id", "omschrijving", "categorie", "datum")) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for n, row in enumerate(rows):
            writer.writerow([f"M-{n}", *row])
    return path


def mapping(path: Path, entries: dict[str, str]) -> Path:
    lines = ["categories:"] + [f'  "{name}": {target}' for name, target in entries.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_quoted_multi_line_texts_duplicates_and_skip_are_read_masked_and_mapped(tmp_path):
    rows = [
        ("Lantaarnpaal kapot\nvoor nummer 12,\n\"al weken\"", "Straatverlichting", "03-02-2025 09:15"),
        ("zwerfvuil", "Zwerfvuil", "2025-02-04T10:00:00"),
        ("Bel mij op 0612345678 over de kliko", "Afval", "05-02-2025"),
        ("zwerfvuil", "Zwerfvuil", "06-02-2025 08:00"),
        ("Iets anders", "Overig", "07-02-2025 08:00"),
    ]
    names = {"Straatverlichting": "lantaarnpaal_straatverlichting", "Zwerfvuil": "veegzwerfvuil", "Afval": "afval",
             "Overig": SKIP}
    known = load_mapping(mapping(tmp_path / "m.yaml", names), CONFIG)
    read, left_out = read_history(export(tmp_path / "h.csv", rows), COLUMNS, known)
    assert len(read) == 4 and left_out["skip in the mapping"] == 1
    assert read[0].text.startswith("Lantaarnpaal kapot\nvoor nummer 12") and '"al weken"' in read[0].text
    assert "0612345678" not in read[2].text  # masked before it is kept
    assert read[2].label == department_label("afval")  # a department without a category of ours
    assert read[0].at == datetime(2025, 2, 3, 9, 15, tzinfo=timezone.utc)
    kept, dropped = deduplicate(read)
    assert dropped == 1 and sum(r.text == "zwerfvuil" for r in kept) == 1
    assert next(r for r in kept if r.text == "zwerfvuil").at.day == 6  # the newest copy stays


def test_names_the_mapping_lacks_are_listed_with_their_counts(tmp_path):
    rows = [("a", "Bomen", "01-01-2025"), ("b", "Bomen", "01-01-2025"), ("c", "Honden", "01-01-2025"),
            ("d", "Afval", "01-01-2025")]
    known = load_mapping(mapping(tmp_path / "m.yaml", {"Afval": "afval"}), CONFIG)
    with pytest.raises(HistoryError) as error:
        read_history(export(tmp_path / "h.csv", rows), COLUMNS, known)
    assert "Bomen (2×)" in str(error.value) and "Honden (1×)" in str(error.value)


def test_a_mapping_to_something_we_do_not_have_is_an_error_listing_each(tmp_path):
    with pytest.raises(HistoryError) as error:
        load_mapping(mapping(tmp_path / "m.yaml", {"Afval": "afval", "Bomen": "bomen_xyz", "Raar": "parkeren2"}), CONFIG)
    assert "Bomen → bomen_xyz" in str(error.value) and "Raar → parkeren2" in str(error.value)
    assert "Afval" not in str(error.value)


def test_a_missing_column_names_the_header(tmp_path):
    path = export(tmp_path / "h.csv", [("a", "Afval", "01-01-2025")])
    known = load_mapping(mapping(tmp_path / "m.yaml", {"Afval": "afval"}), CONFIG)
    with pytest.raises(HistoryError, match="'tekst'.*the header has 'id', 'omschrijving'"):
        read_history(path, Columns("tekst", "categorie"), known)


def test_unreadable_times_are_an_error_not_a_guess(tmp_path):
    path = export(tmp_path / "h.csv", [("a", "Afval", "gisteren"), ("b", "Afval", "01-01-2025")])
    known = load_mapping(mapping(tmp_path / "m.yaml", {"Afval": "afval"}), CONFIG)
    with pytest.raises(HistoryError, match="1 rows have no readable time"):
        read_history(path, COLUMNS, known)


def test_dutch_and_iso_times_and_the_newest_tenth_held_out():
    assert parse_time("31-12-2024 23:59") == datetime(2024, 12, 31, 23, 59, tzinfo=timezone.utc)
    assert parse_time("2025-01-02T03:04:05+01:00").utcoffset().total_seconds() == 3600
    assert parse_time("niet") is None
    from services.router.training.history import HistoryRow

    rows = [HistoryRow(f"t{n}", "afval", datetime(2025, 1, 1 + (n * 7) % 28, tzinfo=timezone.utc), n) for n in range(20)]
    older, newest = split_newest(rows, 0.1)
    assert len(newest) == 2 and min(r.at for r in newest) >= max(r.at for r in older)


def test_a_conflicting_duplicate_keeps_the_label_most_people_chose(tmp_path):
    from services.router.training.history import HistoryRow

    at = datetime(2025, 1, 1, tzinfo=timezone.utc)
    rows = [HistoryRow("Boom omgewaaid", "a", at, 1), HistoryRow("boom omgewaaid!", "b", at, 2),
            HistoryRow("Boom  omgewaaid", "a", at, 3)]
    [kept], dropped = deduplicate(rows)
    assert kept.label == "a" and dropped == 2


def test_the_documented_example_export_and_mapping_read_as_docs_routing_md_says():
    from services.runtime.settings import REPO_ROOT

    examples = REPO_ROOT / "docs" / "examples"
    known = load_mapping(examples / "history-mapping.yaml", CONFIG)
    rows, left_out = read_history(examples / "history-export.csv",
                                  Columns("omschrijving", "hoofdcategorie", "datum"), known)
    kept, dropped = deduplicate(rows)
    assert (len(rows), left_out["skip in the mapping"], len(kept), dropped) == (7, 1, 6, 1)
    assert "\n" in kept[0].text and kept[0].label == department_label("afval")
