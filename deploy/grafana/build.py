"""The Grafana dashboards, as code: `make dashboards` writes deploy/grafana/dashboards/*.json.

Built with Grafana's typed builder (grafana-foundation-sdk, a dev dependency): every panel has the same
shape, the queries sit in one readable place and what comes out is Grafana's own dashboard model. A test
fails when the JSON files are stale, and another that a query names a metric nobody exports.
Titles are Dutch: the dashboards are for the webcare team, the departments and ops of a gemeente.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

# The classic dashboard JSON, which Grafana's file provisioning and the Kubernetes sidecar load; the SDK
# marks that model deprecated (at import) in favour of the dashboard.grafana.app/v2 resource.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from grafana_foundation_sdk.builders import bargauge, common, prometheus, stat as stat_panel, table as table_panel
    from grafana_foundation_sdk.builders import timeseries
    from grafana_foundation_sdk.builders.dashboard import Dashboard, QueryVariable
    from grafana_foundation_sdk.cog.builder import Builder
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.models.common import (BigValueColorMode, DataSourceRef, LegendDisplayMode,
                                                      LegendPlacement, SortOrder, TooltipDisplayMode, VizOrientation)
    from grafana_foundation_sdk.models.dashboard import GridPos, Panel, VariableRefresh
    from grafana_foundation_sdk.models.prometheus import PromQueryFormat

OUT = Path(__file__).parent / "dashboards"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="prometheus")
DAY = "24h"

PanelBuilder = Builder[Panel]


def target(expr: str, legend: str = "", ref_id: str = "A") -> prometheus.Dataquery:
    query = prometheus.Dataquery().datasource(DATASOURCE).expr(expr).ref_id(ref_id)
    return query.legend_format(legend) if legend else query


def panel(builder: PanelBuilder, title: str, exprs: list[tuple[str, str]], unit: str = "short", width: int = 12,
          height: int = 8, description: str = "") -> PanelBuilder:
    builder.title(title).datasource(DATASOURCE).unit(unit).span(width).height(height)
    if description:
        builder.description(description)
    return builder.targets([target(expr, legend, chr(ord("A") + i)) for i, (expr, legend) in enumerate(exprs)])


def last_value() -> common.ReduceDataOptions:
    return common.ReduceDataOptions().calcs(["lastNotNull"])


def stat(title: str, expr: str, unit: str = "short", description: str = "") -> PanelBuilder:
    builder = stat_panel.Panel().reduce_options(last_value()).color_mode(BigValueColorMode.VALUE)
    return panel(builder, title, [(expr, "")], unit, width=4, height=4, description=description)


def series(title: str, exprs: list[tuple[str, str]], unit: str = "short", description: str = "") -> PanelBuilder:
    legend = (common.VizLegendOptions().show_legend(True).display_mode(LegendDisplayMode.TABLE)
              .placement(LegendPlacement.RIGHT))
    tooltip = common.VizTooltipOptions().mode(TooltipDisplayMode.SINGLE).sort(SortOrder.NONE)
    return panel(timeseries.Panel().legend(legend).tooltip(tooltip), title, exprs, unit, description=description)


def bars(title: str, exprs: list[tuple[str, str]]) -> PanelBuilder:
    return panel(bargauge.Panel().orientation(VizOrientation.HORIZONTAL).reduce_options(last_value()), title, exprs)


def table(title: str, expr: str, description: str = "") -> PanelBuilder:
    builder = panel(table_panel.Panel(), title, [], width=24, description=description)
    return builder.with_target(target(expr).format(PromQueryFormat.TABLE).instant())


def layout(panels: list[PanelBuilder]) -> list[PanelBuilder]:
    """Left to right, top to bottom, on Grafana's 24-column grid (a panel that does not fit starts a row)."""
    x = y = row_height = 0
    for index, item in enumerate(panels, start=1):
        size = item.build().grid_pos
        if x + size.w > 24:
            x, y, row_height = 0, y + row_height, 0
        item.grid_pos(GridPos(h=size.h, w=size.w, x=x, y=y)).id(index)
        x += size.w
        row_height = max(row_height, size.h)
    return panels


def dashboard(uid: str, title: str, description: str, panels: list[PanelBuilder],
              variables: list[QueryVariable] = ()) -> Dashboard:
    builder = (Dashboard(title).uid(uid).description(description).tags(["gemeente-contact"])
               .timezone("Europe/Amsterdam").refresh("10s").time("now-6h", "now").readonly().variables(list(variables)))
    for item in layout(panels):
        builder.with_panel(item)
    return builder


def department_variable() -> QueryVariable:
    return (QueryVariable("department").label("Afdeling").datasource(DATASOURCE)
            .query({"query": "label_values(contact_sla_office_seconds, department)", "refId": "department"})
            .refresh(VariableRefresh.ON_DASHBOARD_LOAD).include_all(False).multi(False))


def overview() -> Dashboard:
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
        bars("Berichten per kanaal (24 uur)",
             [(f"sum by (channel) (increase(contact_messages_received_total[{DAY}]))", "{{channel}}")]),
        bars("Meeste berichten per categorie (24 uur)",
             [(f"topk(15, sum by (category) (increase(contact_messages_by_category_total[{DAY}])))", "{{category}}")]),
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


def department() -> Dashboard:
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
        bars("Per categorie (24 uur)",
             [(f"sum by (category) (increase(contact_messages_by_category_total{{{d}}}[{DAY}]))", "{{category}}")]),
        series("Antwoorden in het kanaal van de inwoner (per uur)",
               [(f"sum by (state) (rate(contact_reply_statuses_total{{{d}}}[15m])) * 3600", "{{state}}")]),
        table("Lopende pieken", f"max by (category) (contact_spike_messages{{{d}}})"),
    ], [department_variable()])


def system() -> Dashboard:
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
        series("Console: verbonden schermen en triagewachtrij", [
            ("sum(console_live_viewers)", "schermen"), ("max(console_triage_rows)", "rijen in triage")]),
        series("Antwoorden: mislukt per reden (per uur)",
               [("sum by (channel, reason) (increase(contact_reply_failed_total[1h]))", "{{channel}} {{reason}}")]),
        series("Antwoorden: tot afgeleverd p90",
               [("histogram_quantile(0.9, sum by (le, channel) (rate(contact_reply_delivered_seconds_bucket[1h])))",
                 "{{channel}}")], "s"),
        series("Console: acties per uitkomst (per uur)",
               [("sum by (console_action, outcome) (increase(console_actions_total[1h]))", "{{console_action}} {{outcome}}")]),
    ])


DASHBOARDS = {"overzicht.json": overview, "afdeling.json": department, "systeem.json": system}


def render() -> dict[str, str]:
    encoder = JSONEncoder(sort_keys=True, indent=2, ensure_ascii=False)
    return {name: encoder.encode(build().build()) + "\n" for name, build in DASHBOARDS.items()}


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for name, text in render().items():
        (OUT / name).write_text(text, encoding="utf-8")
        print(f"wrote {OUT / name}")
    sys.exit(0)
