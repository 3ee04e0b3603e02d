"""The metrics service's configuration file (deploy/config/kpi.yaml), parsed and checked once."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import yaml

from services.contract.departments import Department
from services.contract.vocabulary import TRIAGE
from services.metrics.office_hours import OfficeHours

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class KpiConfigError(ValueError):
    pass


@dataclass(frozen=True)
class SpikeSettings:
    window_seconds: int = 24 * 3600
    bucket_seconds: int = 3600
    baseline_days: int = 7
    min_count: int = 12
    min_ratio: float = 3.0
    max_p_value: float = 1e-6
    baseline_floor: float = 1.0
    ignore: frozenset[str] = frozenset()
    # At most this many (department, theme) series are counted, in memory and in Redis: a flood of new
    # words cannot grow either without bound. Past it a new theme is not counted (the department's
    # total still is).
    max_series: int = 50_000


@dataclass(frozen=True)
class KpiConfig:
    office_hours: OfficeHours
    # department id (and "triage") → seconds of office time within which the first answer is due
    sla_seconds: dict[str, float]
    at_risk_fraction: float
    spikes: SpikeSettings


class _Closures:
    """Public holidays (minus those the gemeente is open on) plus its own closing days."""

    def __init__(self, country: str, open_on: Iterable[str], closed_on: Iterable[date]) -> None:
        self._holidays = holidays.country_holidays(country, language="nl")
        self._open_on = {name.casefold() for name in open_on}
        self._closed_on = frozenset(closed_on)

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        if day in self._closed_on:
            return True
        names = self._holidays.get_list(day)
        return any(name.casefold() not in self._open_on for name in names)


def _interval(text: object, where: str) -> tuple[time, time]:
    match = _INTERVAL.match(str(text))
    if not match:
        raise KpiConfigError(f"{where}: expected 'HH:MM-HH:MM', got {text!r}")
    h1, m1, h2, m2 = map(int, match.groups())
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError as exc:
        raise KpiConfigError(f"{where}: {exc}") from exc
    if end <= start:
        raise KpiConfigError(f"{where}: the interval must end after it starts")
    return start, end


def parse_office_hours(document: dict) -> OfficeHours:
    try:
        zone = ZoneInfo(str(document.get("timezone", "Europe/Amsterdam")))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise KpiConfigError(f"timezone: {exc}") from exc
    raw = document.get("office_hours") or {}
    if not isinstance(raw, dict) or set(raw) - set(_WEEKDAYS):
        raise KpiConfigError(f"office_hours: a mapping of weekdays ({', '.join(_WEEKDAYS)})")
    weekly: dict[int, tuple[tuple[time, time], ...]] = {}
    for index, name in enumerate(_WEEKDAYS):
        intervals = sorted(_interval(text, f"office_hours.{name}") for text in raw.get(name) or [])
        for (_, end), (start, _) in zip(intervals, intervals[1:]):
            if start < end:
                raise KpiConfigError(f"office_hours.{name}: intervals overlap")
        weekly[index] = tuple(intervals)
    if not any(weekly.values()):
        raise KpiConfigError("office_hours: the gemeente must be open at some time in the week")
    days = document.get("holidays") or {}
    try:
        closed_on = [date.fromisoformat(str(d)) for d in days.get("closed_on") or []]
        closures = _Closures(str(days.get("country", "NL")), days.get("open_on") or [], closed_on)
    except (ValueError, NotImplementedError, KeyError) as exc:
        raise KpiConfigError(f"holidays: {exc}") from exc
    return OfficeHours(zone=zone, weekly=weekly, closed_dates=closures)


def parse_kpi_config(document: object, departments: Iterable[Department]) -> KpiConfig:
    if not isinstance(document, dict):
        raise KpiConfigError("expected a mapping")
    office_hours = parse_office_hours(document)
    sla = document.get("sla") or {}
    default_hours = float(sla.get("default_office_hours", 16))
    sla_seconds = {d.id: 3600 * (d.sla_office_hours or default_hours) for d in departments}
    sla_seconds[TRIAGE] = 3600 * float(sla.get("triage_office_hours", 4))
    at_risk = float(sla.get("at_risk_fraction", 0.8))
    if not 0 < at_risk <= 1:
        raise KpiConfigError("sla.at_risk_fraction: between 0 and 1")
    raw = document.get("spikes") or {}
    spikes = SpikeSettings(
        window_seconds=int(float(raw.get("window_hours", 24)) * 3600),
        bucket_seconds=int(float(raw.get("bucket_minutes", 60)) * 60),
        baseline_days=int(raw.get("baseline_days", 7)),
        min_count=int(raw.get("min_count", 12)),
        min_ratio=float(raw.get("min_ratio", 3.0)),
        max_p_value=float(raw.get("max_p_value", 1e-6)),
        baseline_floor=float(raw.get("baseline_floor", 1.0)),
        ignore=frozenset(str(w).casefold() for w in raw.get("ignore") or []),
    )
    if spikes.window_seconds % spikes.bucket_seconds or spikes.bucket_seconds <= 0:
        raise KpiConfigError("spikes: window_hours must be a whole number of buckets")
    if spikes.baseline_days < 1 or spikes.min_count < 1:
        raise KpiConfigError("spikes: baseline_days and min_count must be at least 1")
    return KpiConfig(office_hours, sla_seconds, at_risk, spikes)


def load_kpi_config(path: Path, departments: Iterable[Department]) -> KpiConfig:
    with open(path, encoding="utf-8") as handle:
        return parse_kpi_config(yaml.safe_load(handle), departments)
