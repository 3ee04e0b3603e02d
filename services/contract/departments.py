"""The gemeente's departments, the categories each handles and the urgency terms, loaded from one YAML file
(deploy/config/departments.yaml), with the category taxonomy beside it (categories.yaml)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from services.contract.categories import (
    CategoryConfigError,
    Taxonomy,
    load_taxonomy,
    map_categories,
)

CATEGORIES_FILE_NAME = "categories.yaml"

_ID = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


@dataclass(frozen=True)
class Department:
    id: str
    display_name: str
    description: str
    # Main and single category ids of deploy/config/categories.yaml this department handles.
    categories: tuple[str, ...] = ()
    # Office hours within which the first answer is due; None: the default in kpi.yaml.
    sla_office_hours: float | None = None


@dataclass(frozen=True)
class UrgencyTerms:
    urgent: tuple[str, ...] = ()
    high: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoutingConfig:
    departments: tuple[Department, ...]
    urgency: UrgencyTerms
    taxonomy: Taxonomy
    # category id → department id, or TRIAGE for the categories the webcare team handles itself
    department_of: Mapping[str, str]


class DepartmentConfigError(ValueError):
    pass


def parse_departments(document: object) -> tuple[Department, ...]:
    """Validate a parsed YAML document; raise DepartmentConfigError saying what is wrong."""
    if not isinstance(document, dict) or not isinstance(document.get("departments"), list):
        raise DepartmentConfigError("expected a mapping with a 'departments' list")
    departments: list[Department] = []
    for index, entry in enumerate(document["departments"]):
        where = f"departments[{index}]"
        if not isinstance(entry, dict):
            raise DepartmentConfigError(f"{where}: expected a mapping")
        dept_id = entry.get("id")
        if not isinstance(dept_id, str) or not _ID.match(dept_id):
            raise DepartmentConfigError(f"{where}: id must match {_ID.pattern}")
        categories = entry.get("categories") or []
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            raise DepartmentConfigError(f"{where}.categories must be a list of category ids")
        if "rules" in entry:
            raise DepartmentConfigError(f"{where}.rules: terms belong to categories now (categories.yaml)")
        sla = entry.get("sla_office_hours")
        if sla is not None and (not isinstance(sla, (int, float)) or isinstance(sla, bool) or sla <= 0):
            raise DepartmentConfigError(f"{where}.sla_office_hours: must be a positive number of hours")
        departments.append(
            Department(
                id=dept_id,
                display_name=str(entry.get("display_name") or dept_id),
                description=str(entry.get("description") or ""),
                categories=tuple(categories),
                sla_office_hours=None if sla is None else float(sla),
            )
        )
    ids = [d.id for d in departments]
    if len(set(ids)) != len(ids):
        raise DepartmentConfigError("department ids must be unique")
    if not departments:
        raise DepartmentConfigError("at least one department is needed")
    return tuple(departments)


def load_departments(path: Path) -> tuple[Department, ...]:
    with open(path, encoding="utf-8") as handle:
        return parse_departments(yaml.safe_load(handle))


def parse_urgency(document: object) -> UrgencyTerms:
    raw = document.get("urgency") if isinstance(document, dict) else None
    if raw is None:
        return UrgencyTerms()
    if not isinstance(raw, dict):
        raise DepartmentConfigError("urgency must be a mapping with 'urgent' and 'high' lists")
    levels = {}
    for level in ("urgent", "high"):
        terms = raw.get(level) or []
        if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
            raise DepartmentConfigError(f"urgency.{level} must be a list of terms")
        levels[level] = tuple(t.strip() for t in terms)
    return UrgencyTerms(**levels)


def load_routing_config(path: Path, categories_file: Path | None = None) -> RoutingConfig:
    """The departments file and the taxonomy (categories.yaml beside it unless named)."""
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    departments = parse_departments(document)
    taxonomy = load_taxonomy(categories_file or path.with_name(CATEGORIES_FILE_NAME))
    try:
        triage = document.get("triage_categories") or [] if isinstance(document, dict) else []
        if not isinstance(triage, list) or not all(isinstance(c, str) for c in triage):
            raise DepartmentConfigError("triage_categories must be a list of category ids")
        department_of = map_categories(taxonomy, {d.id: d.categories for d in departments}, triage)
    except CategoryConfigError as exc:
        raise DepartmentConfigError(str(exc)) from None
    return RoutingConfig(departments, parse_urgency(document), taxonomy, department_of)
