"""The one clock, so tests and drills can reason about time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

# China Standard Time: how people read times, and how a phone's time without an offset is read.
CHINA_TZ = timezone(timedelta(hours=8), "CST")


def now() -> datetime:
    return datetime.now(UTC)


def china_date(at: datetime) -> date:
    """The day a person in China would write for `at` (a time without an offset is China time)."""
    return (at if at.tzinfo else at.replace(tzinfo=CHINA_TZ)).astimezone(CHINA_TZ).date()
