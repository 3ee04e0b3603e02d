"""Office hours from deploy/config/kpi.yaml: weekends, lunch breaks, holidays, DST."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from services.contract.departments import load_departments
from services.metrics.config import KpiConfigError, load_kpi_config, parse_kpi_config
from services.metrics.settings import DEFAULT_KPI_CONFIG_FILE
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE

AMS = ZoneInfo("Europe/Amsterdam")
HOUR = 3600.0


@pytest.fixture(scope="module")
def config():
    return load_kpi_config(DEFAULT_KPI_CONFIG_FILE, load_departments(DEFAULT_DEPARTMENTS_FILE))


def at(*args):
    return datetime(*args, tzinfo=AMS)


def office(config, start, end):
    return config.office_hours.seconds_between(start, end)


def test_same_morning(config):
    assert office(config, at(2026, 11, 23, 9, 0), at(2026, 11, 23, 10, 15)) == 75 * 60


def test_lunch_break_does_not_count(config):
    # Monday 12:00 → 14:00: 30 minutes before lunch, 30 after.
    assert office(config, at(2026, 11, 23, 12, 0), at(2026, 11, 23, 14, 0)) == HOUR


def test_friday_afternoon_to_monday_morning_skips_the_weekend(config):
    assert office(config, at(2026, 11, 20, 16, 30), at(2026, 11, 23, 9, 0)) == HOUR


def test_a_message_sent_on_saturday_answered_on_sunday_took_no_office_time(config):
    assert office(config, at(2026, 11, 21, 10, 0), at(2026, 11, 22, 18, 0)) == 0


def test_kingsday_is_closed(config):
    # Friday 24 April 16:30 → Tuesday 28 April 09:00 2026; Monday 27 April is Koningsdag.
    assert office(config, at(2026, 4, 24, 16, 30), at(2026, 4, 28, 9, 0)) == HOUR


def test_christmas_and_the_configured_closing_days(config):
    # Wednesday 23 December 16:00 → Monday 28 December 09:00: 24th (configured), 25th, 26th (weekend) closed.
    assert office(config, at(2026, 12, 23, 16, 0), at(2026, 12, 28, 9, 0)) == 1.5 * HOUR


def test_open_on_good_friday_when_configured_but_not_on_easter_monday(config):
    # Thursday 2 April 16:30 (late opening till 20:00) → Tuesday 7 April 09:00.
    expected = 3.5 * HOUR + 7.5 * HOUR + 0.5 * HOUR
    assert office(config, at(2026, 4, 2, 16, 30), at(2026, 4, 7, 9, 0)) == expected


def test_across_the_change_to_winter_time(config):
    # Friday 23 October 16:00 → Monday 26 October 09:30 2026 (clocks go back on Sunday 25th).
    assert office(config, at(2026, 10, 23, 16, 0), at(2026, 10, 26, 9, 30)) == 2 * HOUR


def test_end_before_start_is_zero(config):
    assert office(config, at(2026, 11, 23, 10, 0), at(2026, 11, 23, 9, 0)) == 0


def test_a_week_of_office_hours(config):
    assert config.office_hours.seconds_per_week() == (5 * 7.5 + 3) * HOUR
    monday = at(2026, 11, 16, 0, 0)
    assert office(config, monday, at(2026, 11, 23, 0, 0)) == config.office_hours.seconds_per_week()


def test_sla_per_department_and_triage(config):
    assert config.sla_seconds["burgerzaken"] == 8 * HOUR
    assert config.sla_seconds["afval"] == 16 * HOUR
    assert config.sla_seconds["triage"] == 4 * HOUR


@pytest.mark.parametrize(
    "document, complaint",
    [
        ({"office_hours": {"monday": ["9-17"]}}, "HH:MM-HH:MM"),
        ({"office_hours": {"monday": ["17:00-09:00"]}}, "end after"),
        ({"office_hours": {"monday": ["08:00-12:00", "11:00-13:00"]}}, "overlap"),
        ({"office_hours": {"maandag": ["08:00-12:00"]}}, "weekdays"),
        ({"office_hours": {}}, "open at some time"),
        ({"office_hours": {"monday": ["08:00-12:00"]}, "timezone": "Mars/Olympus"}, "timezone"),
        ({"office_hours": {"monday": ["08:00-12:00"]}, "spikes": {"window_hours": 1, "bucket_minutes": 25}}, "buckets"),
    ],
)
def test_configuration_errors_say_what_is_wrong(document, complaint):
    with pytest.raises(KpiConfigError, match=complaint):
        parse_kpi_config(document, [])


def test_open_now(config):
    hours = config.office_hours
    assert hours.is_open(at(2026, 11, 23, 9, 0)) and hours.is_open(at(2026, 11, 26, 19, 59))
    assert not hours.is_open(at(2026, 11, 23, 13, 0))  # lunch
    assert not hours.is_open(at(2026, 11, 22, 10, 0))  # Sunday
    assert not hours.is_open(at(2026, 12, 25, 10, 0))  # Christmas
