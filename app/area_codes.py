"""Official 12-digit administrative codes (2 province, 2 city, 2 county, 3 town, 3 village)."""

from __future__ import annotations

import re

LEVELS = ("province", "city", "county", "town", "village", "hamlet")
# Significant prefix length of a code at each level; hamlets extend the village code by 3 digits.
PREFIX = {"province": 2, "city": 4, "county": 6, "town": 9, "village": 12, "hamlet": 15}
CODE_PATTERN = r"^\d{12}(\d{3})?$"  # 12 digits, or 15 for a hamlet
CODE_RE = re.compile(CODE_PATTERN)


def is_valid(code: str) -> bool:
    return bool(CODE_RE.match(code or "")) and level_of(code) is not None


def level_of(code: str) -> str | None:
    """The level a code names: the shortest prefix after which only zeros follow."""
    if len(code) == 15:
        return "hamlet"
    for level in ("province", "city", "county", "town"):
        if code[PREFIX[level] :].strip("0") == "" and code[: PREFIX[level]].strip("0") != "":
            return level
    return "village" if len(code) == 12 else None


def ancestors(code: str) -> list[str]:
    """Codes of the areas from the province down to (and including) `code`."""
    level = level_of(code)
    path = []
    for name in LEVELS[: LEVELS.index(level) + 1]:
        if name == "hamlet":
            path.append(code)
        else:
            path.append(code[: PREFIX[name]].ljust(12, "0"))
    # a county directly under a province-level city, e.g. 11 01 01 (Beijing), keeps its 01 city
    return list(dict.fromkeys(path))


def county_code(area_path: list[str]) -> str | None:
    """The county of the deepest area on a path (None above county level): the scalar that sharding by
    county needs, since MongoDB cannot shard on an array such as `area_path` (docs/SCALING.md)."""
    code = area_path[-1] if area_path else ""
    level = level_of(code) if is_valid(code) else None
    if level is None or LEVELS.index(level) < LEVELS.index("county"):
        return None
    return code[: PREFIX["county"]].ljust(12, "0")


def parent_of(code: str) -> str | None:
    path = ancestors(code)
    return path[-2] if len(path) > 1 else None
