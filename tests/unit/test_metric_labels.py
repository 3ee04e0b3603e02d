"""Every metric label takes its values from a closed set: input cannot add series.

The declaration below names, per label, where its closed set comes from. A metric with a label that is not
declared fails the first test; the others send made-up values through the code that counts them (an X
body with 2,000 invented event kinds added 40,000 series before)."""

from __future__ import annotations

import importlib
import json
import pkgutil
from datetime import datetime, timezone

import pytest
from prometheus_client import REGISTRY

import services
from services.contract import codec
from services.contract.departments import load_routing_config
from services.contract.vocabulary import TRIAGE
from services.ingest.delivery import IGNORED
from services.ingest.payload import IGNORED_KINDS, Normalised, ignored_kind
from services.ingest.pseudonym import Pseudonymizer
from services.ingest.twitter.normalise import twitter_webhook_to_contacts
from services.metrics.kpi import dead_letter_stage_label, observe_routed, spike_category_label
from services.metrics.spikes import Spike
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE
from tests.paths import FIXTURES

CONFIG = load_routing_config(DEFAULT_DEPARTMENTS_FILE)
DEPARTMENTS = {d.id for d in CONFIG.departments}
# label name → where its closed set comes from
DECLARED = {
    "channel": "the Channel enum (codec.channel_label; 'unknown' for other numbers)",
    "outcome": "the fixed answers of the ingest shells; the console's ok, refused, failed",
    "kind": "IGNORED_KINDS (services/ingest/payload.py), '<family>_other', 'other'",
    "department": "the configuration's departments, 'triage', 'unknown'",
    "previous": "the configuration's departments and 'triage' (Reroute validates)",
    "destination": "departments, 'triage', 'deadletter'",
    "model": "MODEL_LABELS (services/contract/vocabulary.py): corpus, history, rules, manual",
    "category": "the taxonomy's ids, 'none', 'other'; for spikes also '*' and 'mixed'",
    "method": "the RoutingMethod enum",
    "priority": "the Priority enum",
    "action": "the HandledAction enum",
    "console_action": "the console's five actions (services/console/web.py, each series made at start)",
    "sla": "'met' or 'missed'",
    "stage": "router.decode, router.decide, <channel>.normalise, 'other', 'unknown'",
    "reason": "literals in code: the output ledger's skip reasons, the gRPC guard's refusal reasons; the "
              "ReplyFailure enum's labels (replies failed) and RETRY_REASONS (services/replies/senders.py)",
    "role": "the callers' roles (services/contract/access.py)",
    "state": "the ReplyState enum (codec.reply_state_label)",
    "error": "exception class names: bounded by the code that runs",
    "topic": "our topic names",
    "group": "our consumer group ids",
    "partition": "partition numbers of our topics",
}


def labelled_metrics() -> dict[str, tuple[str, ...]]:
    for module in pkgutil.walk_packages(services.__path__, "services."):
        if ".generated" not in module.name and not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    return {
        collector._name: tuple(collector._labelnames)  # noqa: SLF001 - prometheus_client keeps them here
        for collector in list(REGISTRY._collector_to_names)  # noqa: SLF001
        if getattr(collector, "_labelnames", ())
    }


def test_every_label_of_every_metric_has_a_declared_closed_set():
    metrics = labelled_metrics()
    assert len(metrics) > 25  # the services' metrics were found
    undeclared = {name: labels for name, labels in metrics.items() if set(labels) - DECLARED.keys()}
    assert not undeclared, f"declare where these labels' values come from (and make them closed): {undeclared}"


def test_made_up_x_event_kinds_do_not_add_series():
    """The reproduction: 2,000 bodies with invented event arrays; the kinds counted stay in a closed set."""
    pseudonymizer = Pseudonymizer(b"unit-test-pseudonym-key")
    base = json.loads((FIXTURES / "twitter" / "tweet_mention.json").read_text())
    counted = Normalised()
    for index in range(2000):
        body = {**base, f"made_up_{index}_events": [{}], "tweet_create_events": []}
        for kind, count in twitter_webhook_to_contacts(body, datetime.now(timezone.utc), pseudonymizer, {}).ignored.items():
            counted.ignored[kind] = counted.ignored.get(kind, 0) + count
    assert counted.ignored == {"other": 2000}
    before = len(list(IGNORED.collect())[0].samples)
    for kind, count in counted.ignored.items():
        IGNORED.labels("twitter", kind).inc(count)
    assert len(list(IGNORED.collect())[0].samples) - before <= 2  # _total and _created of one series at most


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("status_delivered", "status_delivered"), ("status_made_up", "status_other"), ("type_hologram", "type_other"),
     ("field_x" * 30, "field_other"), ("favorite", "favorite"), ("dm_typing", "dm_other"), ("x", "other"),
     ("platform_error", "platform_error"), ("feed_post_remove", "feed_post_remove")],
)
def test_ignored_kinds_are_mapped_into_the_closed_set(kind, expected):
    assert ignored_kind(kind) == expected
    assert ignored_kind(kind) in IGNORED_KINDS or ignored_kind(kind).endswith("_other")


def test_a_routed_record_from_another_producer_cannot_add_departments_categories_or_channels():
    forged = codec.RoutedMessage(
        message=codec.ContactMessage(channel=99),
        decision=codec.RoutingDecision(department="jansen-en-zonen", category="mijn-eigen-categorie", method=42,
                                       priority=17),
    )
    seen = observe_routed(forged, frozenset(CONFIG.taxonomy.ids), DEPARTMENTS)
    assert (seen.department, seen.category, seen.channel, seen.method, seen.priority) == (
        "unknown", "other", "unknown", "unknown", "unknown")
    triaged = observe_routed(codec.RoutedMessage(decision=codec.RoutingDecision(triage=True)), (), DEPARTMENTS)
    assert triaged.department == TRIAGE


def test_dead_letter_stages_and_spike_categories_are_closed():
    assert dead_letter_stage_label("whatsapp.normalise") == "whatsapp.normalise"
    assert dead_letter_stage_label("Jan de Vries heeft gebeld") == "other"
    assert codec.action_label(123) == "unknown"
    spike = Spike("afval", "vuilniszak naast", "vuilniszakken naast", 20, 2.0, 1e-9, (), 1)
    assert spike_category_label(spike) == "mixed"
    assert spike_category_label(Spike("afval", "*", "*", 20, 2.0, 1e-9, (), 1)) == "*"
