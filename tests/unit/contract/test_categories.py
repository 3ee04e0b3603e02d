"""categories.yaml holds only text we wrote: Signalen's category names and slugs are kept as facts, with
their source and the attribution; every description is our own, and the file claims no licence of its
own (docs/sources.md, ADR 0014)."""

from __future__ import annotations

import hashlib
import re

import pytest
import yaml

from services.runtime.settings import REPO_ROOT

PATH = REPO_ROOT / "deploy" / "config" / "categories.yaml"
TEXT = PATH.read_text(encoding="utf-8")
ENTRIES = [
    entry for main in yaml.safe_load(TEXT)["main_categories"] for entry in [main, *main["categories"]]
]
HEADER = TEXT[: TEXT.index("main_categories:")]

# The nine descriptions once copied from Signalen (sha256 of the normalised text, first 16 hex digits),
# so that pasting one back fails even when it is marked `own`.
COPIED_FROM_SIGNALEN = {
    "a085f3114e07dfd9", "1741856bd512f662", "0d5f6446a8b8fc86", "59b0706cccb867bb", "6fe14ec5032bf15d",
    "6fc4cf5236e0aa71", "65705125f642dda1", "8c2c39e55dfbe0c9", "3f0e1d0d28ed1529",
}


def fingerprint(description: str) -> str:
    normalised = " ".join(re.findall(r"\w+", description.lower()))
    return hashlib.sha256(normalised.encode()).hexdigest()[:16]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["id"])
def test_every_description_is_our_own(entry):
    assert entry.get("description", "").strip(), f"{entry['id']} has no description"
    assert entry.get("description_source") == "own", (
        f"{entry['id']}: description_source is {entry.get('description_source')!r}; write the description "
        "yourself and mark it own (a copied description would make the file someone else's text)"
    )
    assert fingerprint(entry["description"]) not in COPIED_FROM_SIGNALEN, f"{entry['id']}: copied from Signalen"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["id"])
def test_every_entry_says_where_its_name_and_slug_come_from(entry):
    assert entry.get("source") in {"signalen", "signalen-frontend", "own"}, entry["id"]
    if entry["source"] != "own" and "categories" not in entry:  # a category, not a main category
        assert entry.get("signalen_slug"), f"{entry['id']} comes from Signalen but has no signalen_slug"


def test_the_header_attributes_signalen_and_claims_no_other_licence():
    assert not re.search(r"\bMPL\b|mozilla|licen[cs]", HEADER, re.I), "the header states a licence again"
    for credit in ("Signalen", "© Gemeente Amsterdam", "github.com/Amsterdam/signals @ adbe8fc",
                   "github.com/Amsterdam/signals-frontend @ 667be89"):
        assert credit in HEADER, f"the attribution lacks {credit!r}"
