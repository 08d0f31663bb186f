"""The stratified draw: counties per city, villages per county, households per village.

Each stratum draws from a list sorted by code (or household number) with its own random.Random,
seeded from the sample's seed and the stratum's code. The same seed over the same data therefore
draws the same sample, and adding households in one village does not change another village's draw.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.areas.models import Area
from app.households.models import Household

MAX_SEED = 2**62  # seeds fit a MongoDB int64 and a random.Random


@dataclass(frozen=True)
class Params:
    counties_per_city: int
    villages_per_county: int
    households_per_village: int
    seed: int


@dataclass
class Draw:
    households: list[tuple[str, Household]] = field(default_factory=list)  # (village code, household)
    strata: list[dict] = field(default_factory=list)


def stratum_rng(seed: int, code: str) -> random.Random:
    """A generator for one stratum: independent of Python's hash seed and of the other strata."""
    digest = hashlib.sha256(f"{seed}:{code}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def pick(seed: int, code: str, items: Sequence, k: int) -> list:
    """`k` of `items` (already in a stable order), or all of them when there are no more than `k`."""
    if len(items) <= k:
        return list(items)
    chosen = set(stratum_rng(seed, code).sample(range(len(items)), k))
    return [item for i, item in enumerate(items) if i in chosen]


def _units_with_households(area: Area) -> dict[str, list[Area]]:
    """Cities, counties and villages under `area` that have at least one household, by level."""
    codes = set(Household.objects(area_path=area.code).distinct("area_path"))
    units: dict[str, list[Area]] = {"city": [], "county": [], "village": []}
    for unit in Area.objects(code__in=sorted(codes), level__in=list(units), path=area.code).order_by("code"):
        units[unit.level].append(unit)
    return units


def draw_sample(area: Area, params: Params) -> Draw:
    """Draw within `area`: a province or city draws counties per city, then villages per county,
    then households per village; a county or town starts at villages; a village draws households."""
    result = Draw()
    units = _units_with_households(area)

    def within(parent: Area, level: str) -> list[Area]:
        return [u for u in units[level] if parent.code in u.path]

    def draw(parent: Area, level: str, items: Sequence, k: int) -> list:
        chosen = pick(params.seed, parent.code, items, k)
        result.strata.append(
            {"level": level, "code": parent.code, "candidates": len(items), "drawn": len(chosen)}
        )
        return chosen

    if area.level in ("village", "hamlet"):
        villages = [area]
    elif area.level in ("county", "town"):
        villages = draw(area, "village", within(area, "village"), params.villages_per_county)
    else:
        cities = [area] if area.level == "city" else within(area, "city")
        counties = [
            county
            for city in cities
            for county in draw(city, "county", within(city, "county"), params.counties_per_city)
        ]
        villages = [
            village
            for county in counties
            for village in draw(county, "village", within(county, "village"), params.villages_per_county)
        ]
    for village in villages:
        households = list(
            Household.objects(area_path=village.code)
            .only("id", "number", "head_name", "area_path")
            .order_by("number")
        )
        chosen = draw(village, "household", households, params.households_per_village)
        result.households += [(village.code, household) for household in chosen]
    return result
