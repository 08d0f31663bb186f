"""Aggregation pieces every per-area report shares: group by the child area, count what matches."""

from __future__ import annotations


def child(depth: int) -> dict:
    """The code of the child area a document lies in: `area_path` at the child's depth.

    $ifNull: a document filed directly under the area has no element there; grouping on a missing
    value is also what the embedded test server cannot do."""
    return {"$ifNull": [{"$arrayElemAt": ["$area_path", depth]}, ""]}


def count_if(condition: dict) -> dict:
    return {"$sum": {"$cond": [condition, 1, 0]}}


def present(field: str) -> dict:
    return {"$ne": [{"$ifNull": [field, ""]}, ""]}


def rate(part: int, whole: int) -> float | None:
    """A percentage with one decimal; None when there is nothing to divide by."""
    return round(100 * part / whole, 1) if whole else None
