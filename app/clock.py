"""The one clock, so tests and drills can reason about time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

# China Standard Time: how people read times, and how a phone's time without an offset is read.
CHINA_TZ = timezone(timedelta(hours=8), "CST")


def now() -> datetime:
    return datetime.now(UTC)
