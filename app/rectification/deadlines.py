"""整改时限: when a ledger item is due, and which items are overdue.

An item opened during a campaign is due at the end of the campaign's rectification phase (整改阶段, e.g.
"确保3月25日前全部完成问题整改、销号清零"); otherwise, or once that date has passed, it is due a configured
number of months after it was opened (two by default: the documents' "于2个月内反馈整改情况"). Dates are
China dates; an item is overdue once its deadline has passed and it is still open.
"""

from __future__ import annotations

import calendar
from datetime import date

from app.campaigns.schedule import china_date, rectification_end
from app.clock import now

_settings = {"months": 2}


def configure(default_months: int) -> None:
    """Set the months after opening an item outside a campaign is due (RECTIFICATION_DEFAULT_MONTHS)."""
    if default_months < 1:
        raise ValueError("RECTIFICATION_DEFAULT_MONTHS must be at least 1")
    _settings["months"] = default_months


def today() -> date:
    """Today in China: deadlines are China dates."""
    return china_date(now())


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter (31 Dec + 2 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_deadline(campaign_id: str | None, opened_on: date) -> date:
    """The campaign's rectification end if it is still ahead, else `opened_on` plus the configured months."""
    end = rectification_end(campaign_id)
    if end is not None and end >= opened_on:
        return end
    return add_months(opened_on, _settings["months"])


def is_overdue(deadline: date | None, status: str, on: date) -> bool:
    return status == "open" and deadline is not None and deadline < on
