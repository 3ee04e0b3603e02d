"""Topic names and idempotent topic creation: `python -m services.common.topics`.

Every topic is keyed by conversation id, so one conversation stays on one partition, in order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from services.common.departments import Department, load_departments
from services.common.kafka import kafka_python_security
from services.common.settings import CommonSettings

INBOUND = "contact.inbound"
TRIAGE = "contact.triage"
DEADLETTER = "contact.deadletter"
CORRECTIONS = "contact.corrections"
# Departments report what they did with a message (HandledEvent); the metrics service reads it.
HANDLED = "contact.handled"
# Spike alerts (SpikeAlert) from the metrics service, for communication advisers and webcare.
ALERTS = "contact.alerts"
ROUTED_PREFIX = "contact.routed."

log = logging.getLogger(__name__)


def routed_topic(department_id: str) -> str:
    return ROUTED_PREFIX + department_id


def department_of_topic(topic: str) -> str | None:
    """The department id of a routed topic; None for any other topic."""
    return topic[len(ROUTED_PREFIX):] if topic.startswith(ROUTED_PREFIX) else None


def all_topics(departments: Iterable[Department]) -> list[str]:
    return [INBOUND, TRIAGE, DEADLETTER, CORRECTIONS, HANDLED, ALERTS, *(routed_topic(d.id) for d in departments)]


def create_topics(
    bootstrap_servers: str, names: Iterable[str], partitions: int, replication_factor: int, **security: object
) -> list[str]:
    """Create the topics that do not exist yet; return the names created. Safe to run again."""
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="gemeente-topics", **security)
    try:
        existing = set(admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            admin.create_topics([NewTopic(n, partitions, replication_factor) for n in missing])
        return missing
    finally:
        admin.close()


def main() -> None:
    settings = CommonSettings()
    logging.basicConfig(level=settings.log_level)
    names = all_topics(load_departments(settings.departments_file))
    created = create_topics(
        settings.kafka_bootstrap_servers, names, settings.topic_partitions, settings.topic_replication_factor,
        **kafka_python_security(settings),
    )
    for name in names:
        print(f"{'created' if name in created else 'exists '} {name}")


if __name__ == "__main__":
    main()
