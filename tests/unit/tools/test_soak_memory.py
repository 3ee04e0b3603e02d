"""The soak's verdict on memory: flat, allocator noise, a leak."""

import pytest

from tools.soak.memory import MIB, memory_trend


def series(start_mib: float, per_minute_mib: float, minutes: int = 30, noise=(0, 1.5, -1.0, 0.5)):
    return [(m * 60.0, int((start_mib + per_minute_mib * m + noise[m % len(noise)]) * MIB)) for m in range(minutes + 1)]


def test_noise_around_a_level_is_flat():
    trend = memory_trend(series(270, 0))
    assert trend.flat
    assert abs(trend.growth_bytes) < 2 * MIB


def test_a_leak_of_half_a_mib_a_minute_is_caught():
    trend = memory_trend(series(62, 0.5))
    assert not trend.flat
    assert trend.growth_bytes == pytest.approx(15 * MIB, abs=1.5 * MIB)
    assert trend.second_half_bytes_per_hour == pytest.approx(30 * MIB, rel=0.15)


def test_the_allowance_scales_with_a_large_process():
    # 5 % of 400 MiB: 20 MiB, so 12 MiB of growth in a large process is tolerated, in a small one not.
    assert memory_trend(series(400, 0.4)).flat
    assert not memory_trend(series(60, 0.4)).flat


def test_one_outlier_at_the_end_does_not_decide():
    samples = series(100, 0)
    samples[-1] = (samples[-1][0], 140 * MIB)  # a sample taken mid-batch
    assert memory_trend(samples).flat


def test_too_few_samples_is_an_error_not_a_verdict():
    with pytest.raises(ValueError):
        memory_trend(series(100, 0, minutes=3))
