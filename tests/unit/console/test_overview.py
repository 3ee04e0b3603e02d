"""The wall screen's figures: PromQL for "today", and the rows assembled from Prometheus' answers."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import promql_parser

from services.console.overview import (
    MIN_WINDOW_SECONDS,
    assemble,
    overview_queries,
    seconds_today,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def test_today_is_since_local_midnight_not_utc():
    # 23:30 UTC on 30 November is 00:30 on 1 December in Amsterdam.
    assert seconds_today(datetime(2026, 11, 30, 23, 30, tzinfo=timezone.utc), AMSTERDAM) == 1800
    assert seconds_today(datetime(2026, 11, 30, 23, 0, 10, tzinfo=timezone.utc), AMSTERDAM) == MIN_WINDOW_SECONDS


def test_every_query_parses_and_names_metrics_the_metrics_service_exports():
    for name, query in overview_queries(3600).items():
        promql_parser.parse(query)  # raises on a syntax error
        assert "[3600s]" in query or "backlog" in query, name


def test_rows_for_every_channel_and_department_with_shares_and_gaps():
    results = {
        "channel_received": {"whatsapp": 9.7},
        "channel_triaged": {"whatsapp": 2.0},
        "channel_routed": {"whatsapp": 6.0},
        "channel_waiting": {"whatsapp": 3.0},
        "channel_sla_met": {"whatsapp": 1.0},
        "channel_answered": {"whatsapp": 4.0},
        "department_messages": {"afval": 5.2},
        "department_oldest": {"afval": 4000.4},
    }
    figures = assemble(results, ["whatsapp", "email"], {"afval": "Afval", "verkeer": "Verkeer"})
    whatsapp, email = figures["channels"]
    assert whatsapp == {"channel": "whatsapp", "today": 10, "waiting": 3, "oldest_office_seconds": 0,
                        "triaged_share": 0.25, "sla_met_share": 0.25}
    assert email["today"] == 0 and email["triaged_share"] is None and email["sla_met_share"] is None
    afval, verkeer = figures["departments"]
    assert (afval["today"], afval["oldest_office_seconds"], afval["name"]) == (5, 4000, "Afval")
    assert verkeer["today"] == 0 and verkeer["sla_met_share"] is None

