"""Every kind of document the report counters count: what the sweep and `doorstep reconcile` go over."""

from __future__ import annotations

from app.households.tally import HOUSEHOLDS, POVERTY_EVENTS
from app.rectification.tally import ITEMS
from app.tallies.kinds import Kind
from app.visits.tally import VISITS

KINDS: tuple[Kind, ...] = (HOUSEHOLDS, POVERTY_EVENTS, VISITS, ITEMS)
