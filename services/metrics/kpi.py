"""KPIs computed from the topics. Pure: records in, label values and measurements out."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from services.contract import codec
from services.contract.vocabulary import MODEL_KINDS, TRIAGE
from services.metrics.spikes import ALL, Spike
from services.runtime.routed_consumer import STAGE as CONSUMER_STAGE


@dataclass(frozen=True)
class RoutedObservation:
    department: str  # department id, or TRIAGE ("triage")
    channel: str
    method: str
    priority: str
    # A category id of the taxonomy, "none" when the decision has none, "other" when it is not in `known`.
    category: str
    # The kind of model that decided (MODEL_LABELS): corpus, history, rules, manual.
    model: str
    # Seconds from the ingestor receiving the message to the router publishing its decision.
    ingest_to_routed_seconds: float


# The stages that dead-letter: the router's, a department consumer's, and each ingestor's.
DEAD_LETTER_STAGES = frozenset({"router.decode", "router.decide", CONSUMER_STAGE, "replies.decode"} | {
    f"{name}.{stage}" for name in codec.channel_labels() for stage in ("normalise", "too_old")
} | {f"replies.{name}" for name in codec.channel_labels()})


def first_reply_of(status: codec.ReplyStatus) -> codec.HandledEvent | None:
    """A reply that really left (its SENT status) is the conversation's reply at the platform's time: the
    first since the citizen wrote stops the response clock, as a department's first_reply report does
    (one HandledEvent per reply, so a status seen twice answers once)."""
    if status.state != codec.ReplyState.REPLY_STATE_SENT or not status.conversation_id:
        return None
    return codec.HandledEvent(event_id=f"reply:{status.reply_id}", conversation_id=status.conversation_id,
                              department=status.department, action=codec.HandledAction.HANDLED_ACTION_FIRST_REPLY,
                              occurred_at=status.at, handler_id="reply")


def dead_letter_stage_label(stage: str) -> str:
    """A stage of DEAD_LETTER_STAGES; "unknown" when empty, "other" for anything else."""
    return stage if stage in DEAD_LETTER_STAGES else ("unknown" if not stage else "other")


def category_label(category: str, known: Collection[str]) -> str:
    """A closed set of label values: the taxonomy's ids, "none" and "other" (a model newer than the config)."""
    if not category:
        return "none"
    return category if category in known else "other"


def observe_routed(
    routed: codec.RoutedMessage, known_categories: Collection[str] = (), known_departments: Collection[str] = ()
) -> RoutedObservation:
    """Label values from closed sets: a department or category not in the configuration (a record written
    by something else than the router) is "unknown" or "other", never a new series."""
    decision = routed.decision
    department = TRIAGE if decision.triage or not decision.department else decision.department
    if known_departments and department != TRIAGE and department not in known_departments:
        department = "unknown"
    latency = codec.epoch_seconds(routed.routed_at) - codec.epoch_seconds(routed.message.received_at)
    return RoutedObservation(
        department=department,
        channel=codec.channel_label(routed.message.channel),
        method=codec.method_label(decision.method),
        priority=codec.priority_label(decision.priority),
        category=category_label(decision.category, known_categories),
        model=model_label(decision),
        # Clocks of two hosts: a small negative difference is skew, not time travel.
        ingest_to_routed_seconds=max(0.0, latency),
    )


def model_label(decision: codec.RoutingDecision) -> str:
    """The kind of model behind a decision, from a closed set (a version's digest is no label value)."""
    if decision.method == codec.RoutingMethod.ROUTING_METHOD_MANUAL:
        return "manual"
    kind = decision.model_version.split("-", 1)[0]
    return kind if kind in MODEL_KINDS else "rules"


def spike_category_label(spike: Spike) -> str:
    """The spike gauges' category label: "*" for a whole department, the dominant category, or "mixed"."""
    if spike.key == ALL:
        return ALL
    return spike.category or "mixed"


def spike_alert(spike: Spike, window_seconds: int, now: float) -> codec.SpikeAlert:
    return codec.SpikeAlert(
        alert_id=spike.alert_id,
        department=spike.department,
        theme=spike.theme,
        count=spike.count,
        baseline=spike.baseline,
        window_seconds=window_seconds,
        example_message_ids=spike.example_message_ids,
        detected_at=codec.timestamp_from_epoch(now),
        category=spike.category,
    )


def redis_memory_ratio(info: dict) -> float:
    """used_memory / maxmemory from Redis's INFO memory; 0 when Redis has no limit."""
    limit = float(info.get("maxmemory", 0) or 0)
    return float(info.get("used_memory", 0) or 0) / limit if limit > 0 else 0.0
