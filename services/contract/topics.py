"""Topic names: the one list every service, the Kubernetes KafkaTopics and the tools derive from.

Messages are keyed by conversation id, so one conversation stays on one partition, in order; spike
alerts are keyed by department, dead letters by the failed record's own key (or the channel).
"""

from __future__ import annotations

from collections.abc import Iterable

from services.contract.departments import Department

INBOUND = "contact.inbound"
TRIAGE = "contact.triage"
DEADLETTER = "contact.deadletter"
CORRECTIONS = "contact.corrections"
# Departments report what they did with a message (HandledEvent); the metrics service reads it.
HANDLED = "contact.handled"
# Spike alerts (SpikeAlert) from the metrics service, for communication advisers and webcare.
ALERTS = "contact.alerts"
# Answers to citizens (Reply), keyed by conversation id so one conversation's replies leave in order; the
# reply sender reads it. Their fate (ReplyStatus): queued, sent, delivered, read or failed.
REPLIES = "contact.replies"
REPLY_STATUS = "contact.reply-status"
ROUTED_PREFIX = "contact.routed."


def routed_topic(department_id: str) -> str:
    return ROUTED_PREFIX + department_id


def department_of_topic(topic: str) -> str | None:
    """The department id of a routed topic; None for any other topic."""
    return topic[len(ROUTED_PREFIX):] if topic.startswith(ROUTED_PREFIX) else None


def all_topics(departments: Iterable[Department]) -> list[str]:
    return [INBOUND, TRIAGE, DEADLETTER, CORRECTIONS, HANDLED, ALERTS, REPLIES, REPLY_STATUS,
            *(routed_topic(d.id) for d in departments)]
