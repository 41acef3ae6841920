"""Dates as people in China see them: the platform's "today" is Beijing's (UTC+8, no DST)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "CST")


def china_today() -> date:
    """Today's date in China, whatever the server's own time zone."""
    return datetime.now(CHINA_TZ).date()


def china_date(moment: datetime) -> date:
    """The date in China at ``moment``."""
    return moment.astimezone(CHINA_TZ).date()
