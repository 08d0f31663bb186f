"""Offset pages for the console's short indexed lists (a village's households, the ledger, samples).

The review queue, which runs to thousands, pages by keyset instead (app.review.queue).
"""

from __future__ import annotations

from flask import request

PAGE_SIZE = 50
MAX_PAGE = 10_000


def page_number() -> int:
    """The `page` argument (1 when absent or malformed)."""
    value = request.args.get("page", "1")
    return max(1, min(int(value), MAX_PAGE)) if value.isdigit() else 1


def page_of(query, page: int, size: int = PAGE_SIZE) -> tuple[list, bool]:
    """One page of the query's rows, and whether another page follows."""
    rows = list(query.skip((page - 1) * size).limit(size + 1))
    return rows[:size], len(rows) > size
