"""Working days on the official calendar, as ``chinese_calendar`` 1.11 publishes 2025 and 2026.

2026: 中秋 25–27 September, 国庆 1–7 October; make-up working days Sunday 20 September and
Saturday 10 October. 2025: make-up working Saturday 11 October (after 国庆+中秋 1–8 October).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pytest

from backend.objections.calendar import add_working_days, is_working_day, working_day_deadline


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 10, 1), False),  # 国庆节
        (date(2026, 10, 7), False),  # last day of the 国庆 holiday
        (date(2026, 10, 8), True),  # back at work (Thursday)
        (date(2026, 10, 10), True),  # 调休: a Saturday worked
        (date(2026, 10, 11), False),  # an ordinary Sunday
        (date(2026, 9, 25), False),  # 中秋节 (Friday)
        (date(2026, 9, 20), True),  # 调休: a Sunday worked
        (date(2025, 10, 11), True),  # 调休: a Saturday worked in 2025
        (date(2025, 10, 8), False),  # 2025: 国庆 and 中秋 together, 1–8 October
    ],
)
def test_the_official_calendar_decides(day, working):
    assert is_working_day(day) is working


def test_a_filing_before_national_day_waits_for_the_holiday_to_end():
    # given a Wednesday filing the day before the 国庆 holiday
    filed = date(2026, 9, 30)
    # when
    due = add_working_days(filed, 2)
    # then: 1–7 October are skipped, 8 and 9 October count
    assert due == date(2026, 10, 9)


def test_a_make_up_saturday_counts_as_a_working_day():
    # given Thursday 8 October 2026 (first day back)
    # when
    due = add_working_days(date(2026, 10, 8), 2)
    # then: Friday 9th, then the make-up Saturday 10th
    assert due == date(2026, 10, 10)


def test_a_filing_during_the_holiday_counts_from_the_first_working_day():
    assert add_working_days(date(2026, 10, 3), 2) == date(2026, 10, 9)


def test_a_friday_filing_skips_the_weekend():
    # given Friday 16 October 2026 (an ordinary weekend follows)
    # then: Monday 19th and Tuesday 20th
    assert add_working_days(date(2026, 10, 16), 2) == date(2026, 10, 20)


def test_a_weekday_filing_in_an_ordinary_week():
    assert add_working_days(date(2026, 10, 13), 2) == date(2026, 10, 15)


def test_zero_days_is_the_day_itself_and_negative_is_refused():
    assert add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 10, 3), -1)


def test_a_year_the_package_does_not_know_falls_back_to_weekdays_with_a_warning(caplog):
    # given Friday 1 March 2030, beyond the package's data
    caplog.set_level(logging.WARNING, logger="xinrong.calendar")
    # when
    due = add_working_days(date(2030, 3, 1), 2)
    # then: Monday 4th and Tuesday 5th, and the guess is logged
    assert due == date(2030, 3, 5)
    assert is_working_day(date(2030, 3, 2)) is False
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "2030" in warnings[0].getMessage()


def test_a_known_year_logs_no_warning(caplog):
    caplog.set_level(logging.WARNING, logger="xinrong.calendar")
    add_working_days(date(2026, 10, 16), 2)
    assert caplog.records == []


def test_the_deadline_is_the_end_of_the_day_in_china():
    # given 8 October 2026 at 17:00 UTC, which is already Friday 9 October in Beijing
    moment = datetime(2026, 10, 8, 17, 0, tzinfo=UTC)
    # when
    deadline = working_day_deadline(moment, 2)
    # then: counted from the 9th (Beijing date): Saturday 10th (调休) and Monday 12th, 23:59:59
    assert deadline.astimezone(UTC) == datetime(2026, 10, 12, 15, 59, 59, tzinfo=UTC)
