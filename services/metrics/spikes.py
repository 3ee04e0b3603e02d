"""Spike detection: many more messages than usual about one theme in a sliding window. Pure.

"Dozens of people asked about bin bags next to the underground containers in the last 24 hours":
each routed message counts once for every theme in it (a significant word or a pair of them, Dutch
stems so that "vuilniszak" and "vuilniszakken" are one theme) and once for its department as a whole
(theme "*"), in time buckets. The count in the window is compared with the same theme's own mean
per window over the baseline days before it; a count far above it (Poisson tail, a minimum ratio and
a minimum count) is a spike. The counts are kept here; the service persists the increments.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import snowballstemmer
from scipy.stats import poisson
from stop_words import get_stop_words

from services.metrics.config import SpikeSettings

ALL = "*"
_STOP = frozenset(w.casefold() for w in get_stop_words("dutch") + get_stop_words("english"))
_PLACEHOLDER = re.compile(r"\[[A-Z-]+\]")  # masked personal data: [BSN], [E-MAIL], ...
# Words, and what ends a sentence (after it a capital says nothing), and handles (@name).
_TOKEN = re.compile(r"@?[^\W\d_]{4,}|[.!?:;\n]")
_STEMMER = snowballstemmer.stemmer("dutch")
_EXAMPLES = 5
# Message ids kept per theme to tell whether two rising themes are one burst.
_RECENT = 20
# Theme keys of the latest messages, to name a burst by the phrase its messages share.
_REMEMBERED_MESSAGES = 5000


def theme_words(text: str) -> list[list[str]]:
    """Per sentence, the words a theme can be made of: not masked data, not names. A capitalised word
    inside a sentence is a name (of a person, a street, a company) and a handle (@name) is one: neither
    is a theme, so no name is counted or kept."""
    sentences: list[list[str]] = [[]]
    for token in _TOKEN.findall(_PLACEHOLDER.sub(" ", text)):
        if len(token) == 1:
            if sentences[-1]:
                sentences.append([])
            continue
        proper_noun = token[0].isupper() and not token.isupper() and bool(sentences[-1])
        if not proper_noun and not token.startswith("@"):
            sentences[-1].append(token.casefold())
        elif not sentences[-1]:
            sentences[-1].append("")  # a sentence's first word was a name: the next is no sentence start
    return [[w for w in sentence if w] for sentence in sentences]


def themes_of(text: str, ignore: frozenset[str] = frozenset()) -> dict[str, str]:
    """Theme key (stem, or two stems within a sentence) → the words as written, for one message's text."""
    themes: dict[str, str] = {}
    pairs: dict[str, str] = {}
    for sentence in theme_words(text):
        words = [w for w in sentence if w not in _STOP and w not in ignore]
        stems = _STEMMER.stemWords(words)
        for stem, word in zip(stems, words):
            themes.setdefault(stem, word)
        for (s1, w1), (s2, w2) in zip(zip(stems, words), zip(stems[1:], words[1:])):
            if s1 != s2:
                pairs.setdefault(f"{s1} {s2}", f"{w1} {w2}")
    return themes | {k: v for k, v in pairs.items() if k not in themes}


@dataclass(frozen=True)
class Spike:
    department: str
    key: str
    theme: str  # as citizens wrote it, or "*"
    count: int
    baseline: float
    p_value: float
    example_message_ids: tuple[str, ...]
    started_bucket: int
    category: str = ""  # the category most of its messages were routed with; "" when mixed or unknown

    @property
    def alert_id(self) -> str:
        return f"{self.department}:{self.key}:{self.started_bucket}"


@dataclass
class _Series:
    buckets: dict[int, int] = field(default_factory=dict)
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=_RECENT))


class SpikeDetector:
    def __init__(self, settings: SpikeSettings) -> None:
        self.settings = settings
        self.window_buckets = settings.window_seconds // settings.bucket_seconds
        self.baseline_buckets = settings.baseline_days * 86400 // settings.bucket_seconds
        self._series: dict[tuple[str, str], _Series] = {}
        self._labels: dict[str, str] = {ALL: ALL}
        self.active: dict[tuple[str, str], Spike] = {}
        # The oldest bucket with any history: until a full window lies before the current one,
        # there is no baseline to compare with and nothing is called a spike.
        self.first_bucket: int | None = None
        self._pruned_at: int | None = None
        # Per remembered message: its theme keys and its category.
        self._message_keys: OrderedDict[str, tuple[tuple[str, ...], str]] = OrderedDict()
        # Themes not counted because max_series was reached (contact_spike_themes_untracked).
        self.untracked = 0

    def bucket_of(self, epoch_seconds: float) -> int:
        return int(epoch_seconds // self.settings.bucket_seconds)

    def observe(
        self, department: str, message_id: str, text: str, at: float, category: str = ""
    ) -> tuple[list[Spike], list[tuple[str, str, int]]]:
        """Count one routed message. Returns the spikes it started and the (department, key, bucket)
        increments to persist."""
        bucket = self.bucket_of(at)
        if self.first_bucket is None or bucket < self.first_bucket:
            self.first_bucket = bucket
        themes = themes_of(text, self.settings.ignore)
        room = self.settings.max_series - len(self._series)
        tracked = {}
        for key, label in themes.items():
            if (department, key) in self._series or room > 0:
                room -= (department, key) not in self._series
                tracked[key] = label
                self._labels.setdefault(key, label)
        self.untracked += len(themes) - len(tracked)
        themes = tracked
        keys = [ALL, *themes]
        self._message_keys[message_id] = (tuple(themes), category)
        if len(self._message_keys) > _REMEMBERED_MESSAGES:
            self._message_keys.popitem(last=False)
        for key in keys:
            series = self._series.setdefault((department, key), _Series())
            series.buckets[bucket] = series.buckets.get(bucket, 0) + 1
            series.recent.append(message_id)
        started = [s for key in keys if (s := self._check(department, key, bucket)) is not None]
        return self._announce(started), [(department, key, bucket) for key in keys]

    def restore(self, department: str, key: str, label: str, bucket: int, count: int) -> None:
        """Load a persisted count (at start-up), within max_series."""
        if (department, key) not in self._series and len(self._series) >= self.settings.max_series:
            self.untracked += 1
            return
        if label != key:
            self._labels.setdefault(key, label)
        series = self._series.setdefault((department, key), _Series())
        series.buckets[bucket] = series.buckets.get(bucket, 0) + count
        if self.first_bucket is None or bucket < self.first_bucket:
            self.first_bucket = bucket

    def label(self, key: str) -> str:
        return self._labels.get(key, key)

    def window_count(self, department: str, key: str, bucket: int) -> int:
        series = self._series.get((department, key))
        if series is None:
            return 0
        return sum(series.buckets.get(b, 0) for b in range(bucket - self.window_buckets + 1, bucket + 1))

    def baseline(self, department: str, key: str, bucket: int) -> tuple[float, int] | None:
        """Mean and peak count of the same window on the earlier days of the baseline (a window a
        day earlier, two days earlier, ...); None while there is no full earlier window yet."""
        if self.first_bucket is None:
            return None
        per_day = 86400 // self.settings.bucket_seconds
        counts = [
            self.window_count(department, key, bucket - day * per_day)
            for day in range(1, self.settings.baseline_days + 1)
            if bucket - day * per_day - self.window_buckets + 1 >= self.first_bucket
        ]
        # A baseline of one or two days is noise (one quiet Sunday): wait for more history.
        if not counts or len(counts) < min(3, self.settings.baseline_days):
            return None
        return sum(counts) / len(counts), max(counts)

    def _significance(self, department: str, key: str, bucket: int) -> tuple[int, float, float] | None:
        """(count, baseline, p) when the window is a spike, else None."""
        count = self.window_count(department, key, bucket)
        if count < self.settings.min_count:
            return None
        found = self.baseline(department, key, bucket)
        if found is None:
            return None
        baseline, peak = found
        expected = max(baseline, self.settings.baseline_floor)
        # More than on any of the earlier days too: Monday after a quiet weekend is not a spike.
        if count < self.settings.min_ratio * expected or count <= peak:
            return None
        p_value = float(poisson.sf(count - 1, expected))
        return (count, baseline, p_value) if p_value <= self.settings.max_p_value else None

    def _still_rising(self, department: str, key: str, bucket: int) -> bool:
        # Half the thresholds to end a spike: a count wobbling around the threshold is one spike.
        count = self.window_count(department, key, bucket)
        baseline = (self.baseline(department, key, bucket) or (0.0, 0))[0]
        expected = max(baseline, self.settings.baseline_floor)
        return count * 2 >= self.settings.min_count and count * 2 >= self.settings.min_ratio * expected

    def _check(self, department: str, key: str, bucket: int) -> Spike | None:
        if (department, key) in self.active:
            return None
        found = self._significance(department, key, bucket)
        if found is None:
            return None
        count, baseline, p_value = found
        recent = tuple(self._series[(department, key)].recent)
        in_window = recent[-count:]  # the older ones may predate the burst
        theme = ALL if key == ALL else self.label(self._shared_phrase(key, in_window))
        return Spike(department, key, theme, count, baseline, p_value, recent[-_EXAMPLES:], bucket,
                     self._main_category(in_window))

    def _main_category(self, recent: tuple[str, ...]) -> str:
        """The category at least half of these messages were routed with, else "" (a mixed burst)."""
        categories = Counter(c for m in recent if (c := self._message_keys.get(m, ((), ""))[1]))
        if categories:
            category, seen = categories.most_common(1)[0]
            if seen * 2 >= len(recent):
                return category
        return ""

    def _shared_phrase(self, key: str, recent: tuple[str, ...]) -> str:
        """The theme to name a burst by: the pair of words most of its recent messages share (a
        single rising word may be "naast"; "ondergrondse container" says what it is about)."""
        pairs = Counter(k for m in recent for k in self._message_keys.get(m, ((), ""))[0] if " " in k)
        if pairs:
            phrase, seen = max(pairs.items(), key=lambda item: (item[1], len(item[0]), item[0]))
            if seen * 2 >= len(recent):
                return phrase
        return key

    def _announce(self, started: list[Spike]) -> list[Spike]:
        """Mark new spikes active; announce only those not already told by another theme of the same
        burst (the words of one burst rise together and share their recent messages)."""
        announced: list[Spike] = []
        for spike in sorted(started, key=lambda s: (s.key != ALL, -s.count, -len(s.key))):
            self.active[(spike.department, spike.key)] = spike
            if spike.key != ALL and any(self._same_burst(spike, other) for other in self._themed_active(spike)):
                continue
            announced.append(spike)
        return announced

    def _themed_active(self, spike: Spike) -> Iterable[Spike]:
        return (
            s for k, s in self.active.items() if s is not spike and k[0] == spike.department and k[1] != ALL
        )

    def _same_burst(self, spike: Spike, other: Spike) -> bool:
        mine = set(self._series[(spike.department, spike.key)].recent)
        theirs = set(self._series[(other.department, other.key)].recent)
        return len(mine & theirs) * 2 >= len(mine)

    def expire(self, at: float) -> list[Spike]:
        """End the spikes that are over at `at` and forget buckets older than any baseline needs."""
        bucket = self.bucket_of(at)
        ended = [spike for key, spike in self.active.items() if not self._still_rising(*key, bucket)]
        for spike in ended:
            del self.active[(spike.department, spike.key)]
        if self._pruned_at != bucket:
            self._pruned_at = bucket
            horizon = bucket - self.window_buckets - self.baseline_buckets
            for key in list(self._series):
                series = self._series[key]
                for old in [b for b in series.buckets if b < horizon]:
                    del series.buckets[old]
                if not series.buckets:
                    del self._series[key]
            # Labels only of themes still counted or ongoing: the words citizens wrote are not kept longer.
            keep = {key for _, key in self._series} | {key for _, key in self.active} | {ALL}
            self._labels = {key: label for key, label in self._labels.items() if key in keep}
            if self.first_bucket is not None and self.first_bucket < horizon:
                self.first_bucket = horizon
        return ended
