"""The Grafana dashboards, as code: `make dashboards` writes deploy/grafana/dashboards/*.json.

Generated so that every panel has the same shape and the queries sit in one readable place; a test
fails when the JSON files are stale, and another that a query names a metric nobody exports.
Titles are Dutch: the dashboards are for the webcare team, the departments and ops of a gemeente.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).parent / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
DAY = "24h"


def target(expr: str, legend: str = "") -> dict:
    return {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend, "refId": "A"}


def panel(kind: str, title: str, exprs: list[tuple[str, str]], unit: str = "short", width: int = 12,
          height: int = 8, description: str = "", **options: object) -> dict:
    targets = [dict(target(expr, legend), refId=chr(ord("A") + i)) for i, (expr, legend) in enumerate(exprs)]
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": targets,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": options,
        "gridPos": {"w": width, "h": height},
    }


def stat(title: str, expr: str, unit: str = "short", description: str = "") -> dict:
    return panel("stat", title, [(expr, "")], unit, width=4, height=4, description=description,
                 reduceOptions={"calcs": ["lastNotNull"]}, colorMode="value")


def series(title: str, exprs: list[tuple[str, str]], unit: str = "short", description: str = "") -> dict:
    return panel("timeseries", title, exprs, unit, description=description, legend={"displayMode": "table",
                 "placement": "right"})


def table(title: str, expr: str, description: str = "") -> dict:
    return dict(panel("table", title, [(expr, "")], width=24, description=description),
                targets=[dict(target(expr), format="table", instant=True)])


def layout(panels: list[dict]) -> list[dict]:
    """Left to right, top to bottom, on Grafana's 24-column grid."""
    x = y = row_height = 0
    for index, item in enumerate(panels, start=1):
        grid = item["gridPos"]
        if x + grid["w"] > 24:
            x, y, row_height = 0, y + row_height, 0
        grid.update(x=x, y=y)
        item["id"] = index
        x += grid["w"]
        row_height = max(row_height, grid["h"])
    return panels


def dashboard(uid: str, title: str, description: str, panels: list[dict], variables: list[dict] = ()) -> dict:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["gemeente-contact"],
        "timezone": "Europe/Amsterdam",
        "refresh": "10s",
        "time": {"from": "now-6h", "to": "now"},
        "schemaVersion": 39,
        "editable": False,
        "templating": {"list": list(variables)},
        "panels": layout(panels),
    }


def department_variable() -> dict:
    return {
        "name": "department",
        "label": "Afdeling",
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": "label_values(contact_sla_office_seconds, department)", "refId": "department"},
        "refresh": 1,
        "includeAll": False,
        "multi": False,
    }


def overview() -> dict:
    received_today = f"sum(increase(contact_messages_received_total[{DAY}]))"
    return dashboard("gemeente-contact-overzicht", "Klantcontact: overzicht per kanaal",
                     "Alle kanalen in real time: volume, triage, antwoordtijden en pieken.", [
        stat("Berichten (24 uur)", received_today),
        stat("Naar triage (1 uur)", "contact:triage_share:ratio_rate1h", "percentunit"),
        stat("Binnen SLA beantwoord (24 uur)",
             f'sum(increase(contact_first_responses_total{{sla="met"}}[{DAY}])) '
             f"/ sum(increase(contact_first_responses_total[{DAY}]))", "percentunit"),
        stat("Wachten op antwoord", "sum(max by (department) (contact_backlog_open_conversations))"),
        stat("Over de SLA", "sum(max by (department) (contact_backlog_over_sla_conversations))"),
        stat("Nu open", "max(contact_office_open)", description="1: binnen kantooruren (kpi.yaml)"),
        series("Binnenkomend per kanaal (per minuut)", [("channel:contact_messages_received:rate5m * 60", "{{channel}}")]),
        series("Gerouteerd per afdeling (per minuut)",
               [("department:contact_messages_routed:rate5m * 60", "{{department}}"),
                ("sum(rate(contact_messages_triaged_total[5m])) * 60", "triage")]),
        panel("bargauge", "Berichten per kanaal (24 uur)",
              [(f"sum by (channel) (increase(contact_messages_received_total[{DAY}]))", "{{channel}}")],
              orientation="horizontal"),
        panel("bargauge", "Meeste berichten per categorie (24 uur)",
              [(f"topk(15, sum by (category) (increase(contact_messages_by_category_total[{DAY}])))", "{{category}}")],
              orientation="horizontal"),
        series("Eerste antwoord, mediaan in kantooruren, per kanaal",
               [("histogram_quantile(0.5, sum by (channel, le) "
                 f"(rate(contact_first_response_office_seconds_bucket[{DAY}])))", "{{channel}}")], "s"),
        series("Werkvoorraad per afdeling", [("max by (department) (contact_backlog_open_conversations)",
                                              "{{department}}")]),
        series("Urgente berichten (per uur)",
               [('sum by (department) (rate(contact_messages_by_priority_total{priority="urgent"}[1h])) * 3600',
                 "{{department}}")]),
        table("Lopende pieken (categorie, berichten in 24 uur)", "max by (department, category) (contact_spike_messages)",
              "Het onderwerp en voorbeeldberichten staan in de melding op contact.alerts."),
    ])


def department() -> dict:
    d = 'department="$department"'
    return dashboard("gemeente-contact-afdeling", "Klantcontact: afdeling",
                     "Eén afdeling: volume, werkvoorraad, antwoordtijden in kantooruren en SLA.", [
        stat("Wachten op antwoord", f"max(contact_backlog_open_conversations{{{d}}})"),
        stat("Langst wachtend (kantooruren)", f"max(contact_backlog_oldest_office_seconds{{{d}}})", "s"),
        stat("Bijna over SLA", f"max(contact_backlog_sla_at_risk_conversations{{{d}}})"),
        stat("Over SLA", f"max(contact_backlog_over_sla_conversations{{{d}}})"),
        stat("Binnen SLA (24 uur)", f"department:contact_first_responses_sla_met:ratio_1d{{{d}}}", "percentunit"),
        stat("SLA-termijn", f"max(contact_sla_office_seconds{{{d}}})", "s"),
        series("Binnenkomend per kanaal (per uur)",
               [(f"sum by (channel) (rate(contact_messages_routed_total{{{d}}}[15m])) * 3600", "{{channel}}")]),
        series("Hoe gerouteerd (per uur)",
               [(f"sum by (method) (rate(contact_messages_routed_total{{{d}}}[15m])) * 3600", "{{method}}")]),
        series("Werkvoorraad", [(f"max(contact_backlog_open_conversations{{{d}}})", "open"),
                                (f"max(contact_backlog_sla_at_risk_conversations{{{d}}})", "bijna over SLA"),
                                (f"max(contact_backlog_over_sla_conversations{{{d}}})", "over SLA")]),
        series("Eerste antwoord in kantooruren",
               [(f"department:contact_first_response_office_seconds:p50_1d{{{d}}}", "mediaan"),
                (f"department:contact_first_response_office_seconds:p90_1d{{{d}}}", "90%"),
                (f"max(contact_sla_office_seconds{{{d}}})", "SLA")], "s"),
        series("Afgehandeld (per uur)",
               [(f"sum by (action) (rate(contact_handled_events_total{{{d}}}[15m])) * 3600", "{{action}}")]),
        series("Prioriteit (per uur)",
               [(f"sum by (priority) (rate(contact_messages_by_priority_total{{{d}}}[15m])) * 3600", "{{priority}}")]),
        panel("bargauge", "Per categorie (24 uur)",
              [(f"sum by (category) (increase(contact_messages_by_category_total{{{d}}}[{DAY}]))", "{{category}}")],
              orientation="horizontal"),
        table("Lopende pieken", f"max by (category) (contact_spike_messages{{{d}}})"),
    ], [department_variable()])


def system() -> dict:
    return dashboard("gemeente-contact-systeem", "Klantcontact: systeem",
                     "Voor beheer: diensten, vertraging, achterstand, fouten en geheugen.", [
        stat("Diensten bereikbaar", 'sum(up{job=~"gemeente-.*"})'),
        stat("Routering p99 (5 min)", "contact:routing_latency_seconds:p99_5m", "s"),
        stat("Achterstand router", 'sum(contact_consumer_lag_records{group="gemeente-router"})'),
        stat("Dead letters (24 uur)", f"sum(increase(contact_dead_letters_total[{DAY}]))"),
        stat("Redis onbereikbaar (1 uur)",
             "sum(increase(contact_ingest_dedup_unavailable_total[1h])) "
             "+ sum(increase(contact_router_memory_unavailable_total[1h])) "
             "+ sum(increase(contact_metrics_state_unavailable_total[1h]))"),
        stat("Dubbele leveringen (24 uur)", f"sum(increase(contact_ingest_duplicates_total[{DAY}]))"),
        series("Diensten", [('up{job=~"gemeente-.*"}', "{{job}} {{instance}}")]),
        series("Ontvangst tot routering", [
            ("histogram_quantile(0.5, sum by (le) (rate(contact_routing_latency_seconds_bucket[5m])))", "p50"),
            ("contact:routing_latency_seconds:p99_5m", "p99")], "s"),
        series("Webhooks per uitkomst (per seconde)",
               [("sum by (channel, outcome) (rate(contact_ingest_requests_total[5m]))", "{{channel}} {{outcome}}")],
               "reqps"),
        series("Achterstand per consumer group", [("sum by (group, topic) (contact_consumer_lag_records)",
                                                   "{{group}} {{topic}}")]),
        series("Router: batchduur p99",
               [("histogram_quantile(0.99, sum by (le) (rate(contact_router_batch_seconds_bucket[5m])))", "p99")], "s"),
        series("Dead letters per stap", [("sum by (stage) (increase(contact_dead_letters_total[1h]))", "{{stage}}")]),
        series("Geheugen per dienst", [('process_resident_memory_bytes{job=~"gemeente-.*"}', "{{job}}")], "bytes"),
        series("CPU per dienst", [('rate(process_cpu_seconds_total{job=~"gemeente-.*"}[5m])', "{{job}}")],
               "percentunit"),
    ])


DASHBOARDS = {"overzicht.json": overview, "afdeling.json": department, "systeem.json": system}


def render() -> dict[str, str]:
    return {name: json.dumps(build(), indent=2, ensure_ascii=False) + "\n" for name, build in DASHBOARDS.items()}


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for name, text in render().items():
        (OUT / name).write_text(text, encoding="utf-8")
        print(f"wrote {OUT / name}")
    sys.exit(0)
