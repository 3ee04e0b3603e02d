"""The wall screen's figures per channel and per department, read from Prometheus (the metrics service's
KPIs), never counted a second time. The queries are pure; `PrometheusReader` is the thin I/O shell."""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, time
from zoneinfo import ZoneInfo

import aiohttp

# The earliest window a query asks for: Prometheus needs two samples for increase().
MIN_WINDOW_SECONDS = 60


def seconds_today(now: datetime, zone: ZoneInfo) -> int:
    """Seconds since local midnight (the window of "today"), at least MIN_WINDOW_SECONDS."""
    local = now.astimezone(zone)
    midnight = datetime.combine(local.date(), time(0), zone)
    return max(MIN_WINDOW_SECONDS, int((local - midnight).total_seconds()))


def overview_queries(window_seconds: int) -> dict[str, str]:
    """name → PromQL. "today" is increase over the seconds since local midnight."""
    w = f"{window_seconds}s"
    return {
        "channel_received": f"sum by (channel) (increase(contact_messages_received_total[{w}]))",
        "channel_triaged": f"sum by (channel) (increase(contact_messages_triaged_total[{w}]))",
        "channel_routed": f"sum by (channel) (increase(contact_messages_routed_total[{w}]))",
        "channel_waiting": "max by (channel) (contact_backlog_open_by_channel_conversations)",
        "channel_oldest": "max by (channel) (contact_backlog_oldest_office_by_channel_seconds)",
        "channel_sla_met": f'sum by (channel) (increase(contact_first_responses_total{{sla="met"}}[{w}]))',
        "channel_answered": f"sum by (channel) (increase(contact_first_responses_total[{w}]))",
        "department_messages": f"sum by (department) (increase(contact_messages_by_priority_total[{w}]))",
        "department_waiting": "max by (department) (contact_backlog_open_conversations)",
        "department_oldest": "max by (department) (contact_backlog_oldest_office_seconds)",
        "department_sla_met": f'sum by (department) (increase(contact_first_responses_total{{sla="met"}}[{w}]))',
        "department_answered": f"sum by (department) (increase(contact_first_responses_total[{w}]))",
    }


def _share(part: float | None, whole: float | None) -> float | None:
    return round(part / whole, 3) if part is not None and whole else None


def _count(value: float | None) -> int:
    # increase() extrapolates to the window's edges: a count is shown whole.
    return int(round(value)) if value is not None and math.isfinite(value) else 0


def assemble(results: dict[str, dict[str, float]], channels: list[str], departments: dict[str, str]) -> dict:
    """Query results (name → label value → number) → rows for the page, every channel and department
    present (zero when Prometheus has nothing yet)."""
    def get(name: str, key: str) -> float | None:
        return results.get(name, {}).get(key)

    channel_rows = []
    for channel in channels:
        decided = (get("channel_triaged", channel) or 0) + (get("channel_routed", channel) or 0)
        channel_rows.append({
            "channel": channel,
            "today": _count(get("channel_received", channel)),
            "waiting": _count(get("channel_waiting", channel)),
            "oldest_office_seconds": round(get("channel_oldest", channel) or 0),
            "triaged_share": _share(get("channel_triaged", channel), decided),
            "sla_met_share": _share(get("channel_sla_met", channel), get("channel_answered", channel)),
        })
    department_rows = []
    for department, name in departments.items():
        department_rows.append({
            "department": department,
            "name": name,
            "today": _count(get("department_messages", department)),
            "waiting": _count(get("department_waiting", department)),
            "oldest_office_seconds": round(get("department_oldest", department) or 0),
            "sla_met_share": _share(get("department_sla_met", department), get("department_answered", department)),
        })
    return {"channels": channel_rows, "departments": department_rows}


class PrometheusReader:
    def __init__(self, base_url: str, timeout_seconds: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def query_all(self, queries: dict[str, str]) -> dict[str, dict[str, float]]:
        """Each query's instant vector as label value → number (the one `by` label); raises on failure."""
        async with aiohttp.ClientSession(timeout=self.timeout) as session:
            answers = await asyncio.gather(*(self._query(session, q) for q in queries.values()))
        return dict(zip(queries, answers))

    async def _query(self, session: aiohttp.ClientSession, query: str) -> dict[str, float]:
        async with session.get(f"{self.base_url}/api/v1/query", params={"query": query}) as response:
            response.raise_for_status()
            body = await response.json()
        values = {}
        for sample in body["data"]["result"]:
            labels = sample["metric"]
            key = next(iter(labels.values()), "")
            values[key] = float(sample["value"][1])
        return values
