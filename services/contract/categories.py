"""The category taxonomy (deploy/config/categories.yaml) and a gemeente's mapping of categories to its
departments (the `categories` of each department in deploy/config/departments.yaml).

The router classifies into categories, the same in every gemeente; the mapping turns a category into a
department. Moving "foutparkeren" from verkeer to handhaving is a line in departments.yaml, not a new model.
A department lists main categories (all their subcategories) and single categories; a single category
listed by one department wins over its main category listed by another. Every category must end up with
exactly one department.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from services.contract.vocabulary import TRIAGE

_ID = re.compile(r"^[a-z][a-z0-9_]{1,60}$")
# The class of messages that ask nothing of a department (thanks, greetings, a lone address).
NO_CATEGORY = "geen"
# A model label for a gemeente's history filed under a department but under no category of ours
# (services/router/training/history.py): `afdeling:<department id>` counts for that department.
DEPARTMENT_LABEL_PREFIX = "afdeling:"


def department_labels(labels, departments) -> dict[str, str]:  # noqa: ANN001 - iterables of str
    """label → department for the department-level labels among `labels` whose department is in
    `departments` (to add to the category → department mapping)."""
    known = set(departments)
    return {label: label.removeprefix(DEPARTMENT_LABEL_PREFIX) for label in labels
            if label.startswith(DEPARTMENT_LABEL_PREFIX) and label.removeprefix(DEPARTMENT_LABEL_PREFIX) in known}


class CategoryConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Term:
    term: str
    weight: float


@dataclass(frozen=True)
class Category:
    id: str
    main: str  # the main category's id
    name: str  # Dutch, shown to staff
    description: str
    source: str  # where the category comes from (docs/sources.md)
    terms: tuple[Term, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    categories: tuple[Category, ...]
    main_names: Mapping[str, str]  # main category id → Dutch name

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {c.id: c for c in self.categories})

    def get(self, category_id: str) -> Category | None:
        return self._by_id.get(category_id)  # type: ignore[attr-defined]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.categories)

    def owned_terms(self) -> tuple[tuple[str, str, float], ...]:
        """(category id, term, weight) for the rule matcher and the model's rule-hint features."""
        return tuple((c.id, t.term, t.weight) for c in self.categories for t in c.terms)


def _terms(raw: object, where: str) -> tuple[Term, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise CategoryConfigError(f"{where}.terms must be a list")
    terms = []
    for index, item in enumerate(raw):
        if isinstance(item, str):
            item = {"term": item}
        if not isinstance(item, dict) or not isinstance(item.get("term"), str) or not item["term"].strip():
            raise CategoryConfigError(f"{where}.terms[{index}]: needs a non-empty 'term'")
        weight = item.get("weight", 1)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight <= 0:
            raise CategoryConfigError(f"{where}.terms[{index}]: weight must be a positive number")
        terms.append(Term(item["term"].strip(), float(weight)))
    return tuple(terms)


def parse_taxonomy(document: object) -> Taxonomy:
    """Validate a parsed categories.yaml; raise CategoryConfigError saying what is wrong."""
    if not isinstance(document, dict) or not isinstance(document.get("main_categories"), list):
        raise CategoryConfigError("expected a mapping with a 'main_categories' list")
    categories: list[Category] = []
    main_names: dict[str, str] = {}
    for m_index, main in enumerate(document["main_categories"]):
        where = f"main_categories[{m_index}]"
        if not isinstance(main, dict) or not isinstance(main.get("id"), str) or not _ID.match(main["id"]):
            raise CategoryConfigError(f"{where}: id must match {_ID.pattern}")
        if main["id"] in main_names:
            raise CategoryConfigError(f"{where}: main category '{main['id']}' appears twice")
        main_names[main["id"]] = str(main.get("name") or main["id"])
        subs = main.get("categories")
        if not isinstance(subs, list) or not subs:
            raise CategoryConfigError(f"{where}: needs a non-empty 'categories' list")
        for c_index, sub in enumerate(subs):
            c_where = f"{where}.categories[{c_index}]"
            if not isinstance(sub, dict) or not isinstance(sub.get("id"), str) or not _ID.match(sub["id"]):
                raise CategoryConfigError(f"{c_where}: id must match {_ID.pattern}")
            categories.append(Category(
                id=sub["id"], main=main["id"], name=str(sub.get("name") or sub["id"]),
                description=str(sub.get("description") or ""), source=str(sub.get("source") or main.get("source") or ""),
                terms=_terms(sub.get("terms"), c_where),
            ))
    ids = [c.id for c in categories]
    duplicates = sorted({i for i in ids if ids.count(i) > 1} | (set(ids) & set(main_names)))
    if duplicates:
        raise CategoryConfigError(f"category ids must be unique (and differ from main ids): {duplicates}")
    if NO_CATEGORY in ids or NO_CATEGORY in main_names:
        raise CategoryConfigError(f"'{NO_CATEGORY}' is reserved for messages that ask nothing")
    return Taxonomy(tuple(categories), main_names)


def load_taxonomy(path: Path) -> Taxonomy:
    with open(path, encoding="utf-8") as handle:
        return parse_taxonomy(yaml.safe_load(handle))


def map_categories(
    taxonomy: Taxonomy, assigned: Mapping[str, Iterable[str]], triage: Iterable[str] = ()
) -> dict[str, str]:
    """category id → department id, from what each department lists (main or single category ids); the
    categories in `triage` map to TRIAGE: the webcare team handles them (general questions)."""
    by_main: dict[str, list[str]] = {}
    explicit: dict[str, list[str]] = {}
    for department, entries in {**assigned, TRIAGE: list(triage)}.items():
        for entry in entries:
            if entry in taxonomy.main_names:
                by_main.setdefault(entry, []).append(department)
            elif taxonomy.get(entry) is not None:
                explicit.setdefault(entry, []).append(department)
            else:
                raise CategoryConfigError(f"department {department}: unknown category '{entry}'")
    mapping: dict[str, str] = {}
    problems: list[str] = []
    for category in taxonomy.categories:
        owners = explicit.get(category.id) or by_main.get(category.main) or []
        if len(owners) != 1:
            problems.append(f"{category.id} ({'no department' if not owners else ', '.join(owners)})")
        else:
            mapping[category.id] = owners[0]
    if problems:
        raise CategoryConfigError("every category needs exactly one department: " + "; ".join(problems))
    return mapping
