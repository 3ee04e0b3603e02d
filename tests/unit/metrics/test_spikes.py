"""Spike detection on synthetic traffic: a burst hidden in two weeks of ordinary messages is found;
ordinary traffic alone raises nothing."""

import json
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.metrics.config import SpikeSettings
from services.metrics.spikes import ALL, SpikeDetector, themes_of
from services.runtime.settings import REPO_ROOT

AMS = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 11, 2, tzinfo=AMS)  # a Monday
BURST_DAY = 10
BURST_TEXTS = [
    "Er staan weer vuilniszakken naast de ondergrondse container in de {street}",
    "vuilniszakken naast de container bij de {street}, het stinkt enorm",
    "@gemeente al dagen vuilniszakken naast de ondergrondse containers {street} #afval",
    "Goedemiddag, naast de ondergrondse container aan de {street} liggen vuilniszakken. Wie ruimt dit op?",
    "Kunnen jullie de vuilniszakken naast de container weghalen? {street}",
]
STREETS = ["Dorpsstraat", "Kerkweg", "Molenstraat", "Stationsplein", "Julianalaan"]


@pytest.fixture(scope="module")
def corpus():
    with open(REPO_ROOT / "services/router/training/corpus.jsonl", encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle]
    return [(r["label"], r["text"], r["category"]) for r in lines if r["label"] != "none"]


def ordinary_traffic(corpus, rng, days):
    """About 150 messages on a weekday, fewer at the weekend, mostly in daytime."""
    for day in range(days):
        weekend = (START + timedelta(days=day)).weekday() >= 5
        for hour in range(24):
            rate = (3 if weekend else 10) if 8 <= hour < 20 else 1
            for _ in range(rng.randint(0, 2 * rate)):
                moment = START + timedelta(days=day, hours=hour, seconds=rng.randint(0, 3599))
                yield moment.timestamp(), *rng.choice(corpus)


def burst(rng, count, category="container_bijplaatsing"):
    day = START + timedelta(days=BURST_DAY, hours=9)
    for index in range(count):
        moment = day + timedelta(minutes=rng.randint(0, 6 * 60))
        yield moment.timestamp(), "afval", rng.choice(BURST_TEXTS).format(street=rng.choice(STREETS)), category


def replay(messages):
    detector = SpikeDetector(SpikeSettings(ignore=frozenset({"gemeente", "goedemiddag"})))
    alerts = []
    for index, (at, department, text, category) in enumerate(sorted(messages)):
        started, _ = detector.observe(department, f"m{index}", text, at, category)
        alerts += [(at, spike) for spike in started]
        detector.expire(at)
    return alerts


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ordinary_traffic_raises_no_alert(corpus, seed):
    rng = random.Random(seed)
    assert replay(ordinary_traffic(corpus, rng, 14)) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_burst_about_bin_bags_is_found_once_on_its_day(corpus, seed):
    rng = random.Random(seed)
    messages = list(ordinary_traffic(corpus, rng, 14)) + list(burst(rng, 30))
    alerts = replay(messages)
    themed = [spike for _, spike in alerts if spike.key != ALL]
    assert len(themed) == 1, [s.theme for s in themed]
    spike = themed[0]
    assert spike.department == "afval"
    # Named by words of the burst (which pair exactly depends on the draw; the examples show the rest).
    assert {"vuilniszakken", "container", "containers", "ondergrondse"} & set(spike.theme.split()), spike.theme
    assert spike.count >= 12 and spike.count >= 3 * spike.baseline
    assert len(spike.example_message_ids) == 5
    assert spike.category == "container_bijplaatsing"
    burst_start = (START + timedelta(days=BURST_DAY, hours=9)).timestamp()
    assert all(burst_start <= at <= burst_start + 6 * 3600 for at, _ in alerts)


def test_a_burst_of_mixed_categories_names_none(corpus):
    """The alert names a category only when at least half of the burst's messages share it."""
    rng = random.Random(4)
    thirds = ["container_bijplaatsing", "afval_overig", "grofvuil"]
    mixed = [(at, dep, text, thirds[i % 3]) for i, (at, dep, text, _) in enumerate(burst(rng, 30))]
    themed = [spike for _, spike in replay(list(ordinary_traffic(corpus, rng, 14)) + mixed) if spike.key != ALL]
    assert themed and all(spike.category == "" for spike in themed)


def test_a_burst_in_the_first_day_of_history_is_not_called_a_spike():
    # No baseline yet: warming up, not alarming.
    detector = SpikeDetector(SpikeSettings())
    at = START.timestamp()
    started = [s for i in range(50) for s in detector.observe("afval", f"m{i}", "vuilniszakken naast container", at + i)[0]]
    assert started == []


def test_the_spike_ends_when_the_window_has_passed():
    detector = SpikeDetector(SpikeSettings(baseline_days=1))
    at = START.timestamp()
    detector.observe("afval", "m0", "iets anders", at)
    later = at + 2 * 86400
    started = [s for i in range(20) for s in detector.observe("afval", f"m{i}", "grofvuil ophalen", later + i)[0]]
    assert started and detector.active
    assert detector.expire(later + 3600) == []
    ended = detector.expire(later + 86400 + 3600)
    assert {s.key for s in started} <= {s.key for s in ended}
    assert detector.active == {}


def test_themes_are_stemmed_words_and_pairs_without_stop_words_or_masked_data():
    themes = themes_of("De vuilniszakken staan naast de container, bel [TELEFOON]")
    assert themes["vuilniszak"] == "vuilniszakken"
    assert "container" in themes and "naast container" in themes
    assert not {"de", "telefoon", "bel"} & set(themes)


def test_names_and_handles_are_not_themes():
    themes = themes_of("Weer vuilniszakken bij de container van Johan Verbeek aan de Kerkweg. Groet, Fatima @janjansen")
    assert "vuilniszak" in themes and "container" in themes
    words = {w for key in themes for w in key.split()}
    assert not {"johan", "verbeek", "kerkweg", "fatima", "janjans", "janjansen"} & words
    # A capital after a sentence ends is no name; a shouted word is no name either.
    assert {"bladblazer", "herrie"} <= set(themes_of("Hallo. Bladblazers maken HERRIE"))


def test_a_flood_of_new_words_is_counted_within_max_series():
    detector = SpikeDetector(SpikeSettings(max_series=40))
    at = START.timestamp()
    rng = random.Random(3)
    for index in range(500):
        word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(9))
        _, counted = detector.observe("afval", f"m{index}", f"container {word} kapot", at + index)
    assert len(detector._series) <= 40
    assert detector.untracked > 0
    assert detector.window_count("afval", ALL, detector.bucket_of(at + 499)) == 500  # the total still counts


def test_the_words_behind_themes_are_forgotten_with_their_counts():
    detector = SpikeDetector(SpikeSettings(baseline_days=1))
    at = START.timestamp()
    detector.observe("afval", "m0", "bladblazers herrie", at)
    assert detector.label("bladblazer") == "bladblazers"
    detector.expire(at + 3 * 86400)
    assert detector.label("bladblazer") == "bladblazer" and detector._series == {}
