"""What a rectification-ledger item adds to the report counters of its areas: open or closed."""

from __future__ import annotations

from app.tallies.kinds import Kind, Tally


def item_tally(doc: dict) -> Tally:
    status = doc.get("status")
    return {"problems_open": int(status == "open"), "problems_closed": int(status == "closed")}


ITEMS = Kind("item", "rectifications", item_tally, ("status",))
