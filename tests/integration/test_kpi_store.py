"""KPI state in the real Redis: what one metrics process saved, the next one loads."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from services.contract.departments import load_departments
from services.metrics.config import SpikeSettings, load_kpi_config
from services.metrics.ledger import ConversationLedger
from services.metrics.settings import DEFAULT_KPI_CONFIG_FILE
from services.metrics.spikes import SpikeDetector
from services.metrics.store import KpiStore
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE

AMS = ZoneInfo("Europe/Amsterdam")
SETTINGS = SpikeSettings(baseline_days=3)


def fresh(config) -> tuple[ConversationLedger, SpikeDetector]:
    return ConversationLedger(config.office_hours, config.sla_seconds, config.at_risk_fraction), SpikeDetector(SETTINGS)


async def test_ledger_and_spike_counts_survive_a_restart(redis_url):
    config = load_kpi_config(DEFAULT_KPI_CONFIG_FILE, load_departments(DEFAULT_DEPARTMENTS_FILE))
    redis = Redis.from_url(redis_url)
    store = KpiStore(redis)
    ledger, detector = fresh(config)
    start = datetime(2026, 11, 16, 10, 0, tzinfo=AMS).timestamp()
    increments = []
    for day in range(4):
        increments += detector.observe("afval", f"d{day}", "oud papier ophalen", start + day * 86400)[1]
    spikes = []
    for index in range(15):
        started, counted = detector.observe("afval", f"b{index}", "bladblazers herrie", start + 4 * 86400 + index)
        spikes += started
        increments += counted
    assert spikes
    ledger.message_routed("c1", "afval", "email", "m1", start)
    ledger.message_routed("c2", "verkeer", "email", "m2", start)
    ledger.first_reply("c2", "verkeer", start + 600)
    await store.save(ledger, detector, increments)

    restarted_ledger, restarted_detector = fresh(config)
    await KpiStore(redis).load(restarted_ledger, restarted_detector)
    assert restarted_ledger.waiting == ledger.waiting
    assert restarted_ledger.answered_at == ledger.answered_at
    at = start + 4 * 86400 + 20
    bucket = detector.bucket_of(at)
    for key in ("*", "bladblazer"):
        count = detector.window_count("afval", key, bucket)
        assert count > 0 and restarted_detector.window_count("afval", key, bucket) == count
    assert restarted_detector.baseline("afval", "papier", bucket) == detector.baseline("afval", "papier", bucket) == (1.0, 1)
    assert set(restarted_detector.active) == set(detector.active)
    # An ongoing spike is not announced again after the restart.
    assert restarted_detector.observe("afval", "b99", "bladblazers herrie", at)[0] == []
    await redis.aclose()


async def test_no_citizen_words_are_kept_without_expiry(redis_url):
    """Spike counts expire with their baseline, and the old words-behind-themes hash is removed."""
    config = load_kpi_config(DEFAULT_KPI_CONFIG_FILE, load_departments(DEFAULT_DEPARTMENTS_FILE))
    redis = Redis.from_url(redis_url)
    await redis.hset("metrics:spike-labels", mapping={"jans": "jansen", "bladblazer": "bladblazers"})
    store = KpiStore(redis)
    ledger, detector = fresh(config)
    await store.load(ledger, detector)
    at = datetime(2026, 11, 16, 10, 0, tzinfo=AMS).timestamp()
    _, counted = detector.observe("afval", "m1", "Bladblazers in de straat van Jansen", at)
    await store.save(ledger, detector, counted)
    keys = [key.decode() async for key in redis.scan_iter(match="metrics:*")]
    assert "metrics:spike-labels" not in keys
    ttls = [await redis.ttl(key) for key in keys if key.startswith("metrics:spikes:")]
    assert ttls and all(ttl > 0 for ttl in ttls)
    stored = b""
    for key in keys:
        if key.startswith("metrics:spikes:"):
            stored += b" ".join(await redis.hkeys(key))
    assert b"bladblazer" in stored and b"jans" not in stored
    await redis.aclose()
