"""What a counted document is: its collection and the pure function that says what it adds to the
counters of its areas. Each owner declares its own kind (app/households/tally.py, app/visits/tally.py,
app/rectification/tally.py); app/reports/counted.py lists them all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

Tally = dict[str, int]


@dataclass(frozen=True)
class Kind:
    """A collection whose documents are counted, and how one raw document is tallied."""

    name: str
    collection: str
    tally: Callable[[dict], Tally]
    fields: tuple[str, ...]  # what `tally` reads (besides area_path)
    changed_at: str = "updated_at"  # set by every write to the document: what the sweep looks for
    # documents whose tally changes as days pass (no write): a query for those it changed for between
    # two China days, [since, until)
    due: Callable[[date, date], dict] | None = None


def nonzero(tally: Tally) -> Tally:
    return {k: v for k, v in tally.items() if v}


def difference(new: Tally, old: Tally) -> Tally:
    """new - old, without the keys that did not change."""
    keys = new.keys() | old.keys()
    return {k: new.get(k, 0) - old.get(k, 0) for k in keys if new.get(k, 0) != old.get(k, 0)}
