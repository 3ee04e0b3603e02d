"""Is a process's memory flat over a soak run? Pure: RSS samples in, a verdict out.

A service that keeps something per message (a dict that is never pruned, a task that never ends)
grows with the number of messages; one that caches up to a bound or only warms up does not. The first
samples are taken after a warm-up, so imports, the model and connection pools are already in them; the
allocator still moves a few MiB either way, which is what the tolerance is for.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MIB = 1024 * 1024
# Growth allowed from start to end: allocator noise, not a leak. 30 minutes at 20 msgs/s is 36,000
# messages: a leak of 250 bytes per message already shows as 8.6 MiB.
TOLERANCE_FRACTION = 0.05
TOLERANCE_BYTES = 8 * MIB


@dataclass(frozen=True)
class MemoryTrend:
    start_bytes: int
    end_bytes: int
    # Least-squares slope over the second half of the run, extrapolated to an hour.
    second_half_bytes_per_hour: float
    allowed_growth_bytes: int

    @property
    def growth_bytes(self) -> int:
        return self.end_bytes - self.start_bytes

    @property
    def flat(self) -> bool:
        return self.growth_bytes <= self.allowed_growth_bytes


def memory_trend(samples: Sequence[tuple[float, int]]) -> MemoryTrend:
    """`samples`: (seconds since the start, RSS in bytes), in time order, at least 6 of them.

    Start and end are the medians of the first and last three samples, so one sample taken in the
    middle of a garbage collection or a large batch does not decide the verdict.
    """
    if len(samples) < 6:
        raise ValueError(f"need at least 6 samples to judge a trend, got {len(samples)}")
    start = int(statistics.median(rss for _, rss in samples[:3]))
    end = int(statistics.median(rss for _, rss in samples[-3:]))
    second_half = samples[len(samples) // 2:]
    slope = statistics.linear_regression([t for t, _ in second_half], [rss for _, rss in second_half]).slope
    allowed = max(int(start * TOLERANCE_FRACTION), TOLERANCE_BYTES)
    return MemoryTrend(start, end, slope * 3600, allowed)
