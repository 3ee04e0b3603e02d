from datetime import datetime, timedelta, timezone

import pytest

from services.contract import codec
from services.metrics.kpi import observe_routed

RECEIVED = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def routed(department: str, triage: bool, delay: timedelta) -> codec.RoutedMessage:
    return codec.RoutedMessage(
        message=codec.ContactMessage(channel=codec.Channel.CHANNEL_WEBFORM, received_at=codec.timestamp(RECEIVED)),
        decision=codec.RoutingDecision(department=department, triage=triage,
                                       method=codec.RoutingMethod.ROUTING_METHOD_RULE),
        routed_at=codec.timestamp(RECEIVED + delay),
    )


def test_latency_department_and_labels():
    observation = observe_routed(routed("verkeer", False, timedelta(milliseconds=120)))
    assert observation.department == "verkeer"
    assert (observation.channel, observation.method) == ("webform", "rule")
    assert observation.ingest_to_routed_seconds == pytest.approx(0.12)


def test_triage_is_its_own_destination_and_skew_is_clamped():
    observation = observe_routed(routed("", True, timedelta(milliseconds=-5)))
    assert observation.department == "triage"
    assert observation.ingest_to_routed_seconds == 0.0


def test_redis_memory_ratio_is_used_over_the_limit_and_zero_without_one():
    from services.metrics.kpi import redis_memory_ratio

    assert redis_memory_ratio({"used_memory": 600, "maxmemory": 800}) == 0.75
    assert redis_memory_ratio({"used_memory": 600, "maxmemory": 0}) == 0.0
