"""The platform's "today" is Beijing's."""

import datetime as dt

from backend import clock


def test_china_today_is_beijing_date(monkeypatch):
    # given a moment that is still the 21st in UTC but already the 22nd in Beijing
    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime(2026, 11, 21, 17, 30, tzinfo=dt.UTC).astimezone(tz)

    monkeypatch.setattr(clock, "datetime", Frozen)
    # then
    assert clock.china_today() == dt.date(2026, 11, 22)
