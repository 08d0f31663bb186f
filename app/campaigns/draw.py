"""The lot for the mutual check (互查抽签): which unit's team checks which other unit, and which households.

The units are the areas of one level under the campaign's area (towns of a county, by default) that have
households, sorted by code. Sattolo's shuffle, seeded from the seed and the campaign area's code, turns
them into one cycle: every unit's team checks another unit, no team checks its own, and no two teams
check each other. The same seed over the same units draws the same teams. A team's members are the
active cadres whose every area lies inside its home unit (a cadre working in two units joins no team).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.area_codes import ancestors
from app.areas.models import Area
from app.households.models import Household
from app.samples.draw import pick, stratum_rng
from app.users.models import User


@dataclass
class DrawnTeam:
    number: int
    home: Area
    target: Area
    members: list[User] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)


def units_with_households(area: Area, level: str) -> list[Area]:
    """Areas of `level` under `area` holding at least one household, by code."""
    codes = Household.objects(area_path=area.code).distinct("area_path")
    return list(Area.objects(code__in=sorted(codes), level=level, path=area.code).order_by("code"))


def cycle(count: int, seed: int, salt: str) -> list[int]:
    """A random cyclic permutation of range(count) (Sattolo): position i maps to a different index."""
    order = list(range(count))
    rng = stratum_rng(seed, salt)
    for i in range(count - 1, 0, -1):
        j = rng.randrange(i)
        order[i], order[j] = order[j], order[i]
    return order


def members_of(unit: Area) -> list[User]:
    """Active cadres all of whose areas lie inside `unit`, by username."""
    candidates = User.objects(role="cadre", active=True, area_paths=unit.code).order_by("username")
    return [u for u in candidates if all(unit.code in ancestors(code) for code in u.area_codes)]


def draw_teams(area: Area, level: str, seed: int, households_per_team: int | None) -> list[DrawnTeam]:
    """Draw the teams and their households; needs at least two units with households."""
    units = units_with_households(area, level)
    if len(units) < 2:
        return []
    targets = cycle(len(units), seed, area.code)
    teams = []
    for number, (home, target_index) in enumerate(zip(units, targets, strict=True), start=1):
        target = units[target_index]
        households = list(
            Household.objects(area_path=target.code).only("id", "number", "area_path").order_by("number")
        )
        if households_per_team:
            households = pick(seed, target.code, households, households_per_team)
        teams.append(DrawnTeam(number, home, target, members_of(home), households))
    return teams
