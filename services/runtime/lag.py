"""Consumer lag as the consumer sees it, for every stream worker of ours (the broker's view comes from
Strimzi's Kafka Exporter: the alert ContactBrokerLagHigh)."""

from __future__ import annotations

from prometheus_client import Gauge

CONSUMER_LAG = Gauge(
    "contact_consumer_lag_records",
    "Records on a partition this worker has not committed yet (high watermark - committed offset).",
    ["group", "topic", "partition"],
)
