"""Office hours: how many seconds of opening time lie between two moments. Pure.

A citizen who writes on Friday at 16:30 and gets an answer on Monday at 09:00 waited 60 minutes of
office time (30 on Friday, 30 on Monday with opening at 08:30), not a weekend. Public holidays come
from the `holidays` library; the gemeente's own deviations (open on Goede Vrijdag, closed on 24
December afternoon) are configuration.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

# Longer gaps are capped: a conversation nobody answered for a year says enough at a year.
_MAX_DAYS = 400


@dataclass(frozen=True)
class OfficeHours:
    zone: ZoneInfo
    # weekday (0 = Monday) → opening intervals in local wall-clock time, sorted, not overlapping
    weekly: Mapping[int, tuple[tuple[time, time], ...]]
    closed_dates: Container[date] = field(default_factory=frozenset)

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The opening intervals of one local day as aware datetimes ([] on a closed day)."""
        if day in self.closed_dates:
            return []
        return [
            (datetime.combine(day, start, self.zone), datetime.combine(day, end, self.zone))
            for start, end in self.weekly.get(day.weekday(), ())
        ]

    def seconds_between(self, start: datetime, end: datetime) -> float:
        """Seconds of opening time in [start, end]; 0 when end is not after start."""
        if end <= start:
            return 0.0
        first = start.astimezone(self.zone).date()
        last = min(end.astimezone(self.zone).date(), first + timedelta(days=_MAX_DAYS))
        total = 0.0
        day = first
        while day <= last:
            for opens, closes in self.intervals_on(day):
                overlap = (min(closes, end) - max(opens, start)).total_seconds()
                if overlap > 0:
                    total += overlap
            day += timedelta(days=1)
        return total

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return any(opens <= local < closes for opens, closes in self.intervals_on(local.date()))

    def seconds_per_week(self) -> float:
        return sum(
            (datetime.combine(date.min, b) - datetime.combine(date.min, a)).total_seconds()
            for intervals in self.weekly.values()
            for a, b in intervals
        )


def epoch_to_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)
