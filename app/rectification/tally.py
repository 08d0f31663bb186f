"""What a rectification-ledger item adds to the report counters of its areas: open, closed, overdue."""

from __future__ import annotations

from datetime import date, datetime

from app.rectification.deadlines import today
from app.tallies.kinds import Kind, Tally


def item_tally(doc: dict) -> Tally:
    """An open item past its deadline (a China date) is overdue from the next day on."""
    status, deadline = doc.get("status"), doc.get("deadline")
    return {
        "problems_open": int(status == "open"),
        "problems_closed": int(status == "closed"),
        "problems_overdue": int(status == "open" and deadline is not None and deadline.date() < today()),
    }


def became_overdue(since: date, until: date) -> dict:
    """Open items whose deadline fell in [since, until): overdue now, though nothing wrote to them."""
    start, end = (datetime(d.year, d.month, d.day) for d in (since, until))
    return {"status": "open", "deadline": {"$gte": start, "$lt": end}}


ITEMS = Kind("item", "rectifications", item_tally, ("status", "deadline"), due=became_overdue)
