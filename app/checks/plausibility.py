"""Impossible visits: too short, located too vaguely, overlapping another visit by the same cadre, or
reached faster than any road allows from the cadre's previous or next visit. Each check names the other
visit and the numbers, so a verifier sees why."""

from __future__ import annotations

from app.checks.evidence import ERROR, INFO, Check
from app.checks.geo import distance_m
from app.checks.policy import CheckPolicy
from app.visits.models import Visit

MIN_TRAVEL_M = 1000  # below this, two GPS fixes may be the same place: no speed is judged
_FIELDS = ("household_id", "started_at", "ended_at", "lat", "lon")


def visit_duration(visit: Visit, policy: CheckPolicy) -> list[Check]:
    minutes = (visit.ended_at - visit.started_at).total_seconds() / 60
    ok = minutes >= policy.min_duration_minutes
    return [
        Check(
            "visit_duration",
            ok,
            INFO if ok else ERROR,
            f"走访时长 {minutes:.1f} 分钟 Visit lasted {minutes:.1f} min"
            + ("" if ok else f" (< {policy.min_duration_minutes:g} min)"),
            data={"minutes": round(minutes, 1), "min_minutes": policy.min_duration_minutes},
        )
    ]


def location_accuracy(visit: Visit, policy: CheckPolicy) -> list[Check]:
    if visit.accuracy_m is None:
        return []
    ok = visit.accuracy_m <= policy.max_location_accuracy_m
    return [
        Check(
            "location_accuracy",
            ok,
            INFO if ok else ERROR,
            f"定位精度 {visit.accuracy_m:.0f} 米 Location accuracy {visit.accuracy_m:.0f} m"
            + ("" if ok else f" (> {policy.max_location_accuracy_m:g} m)"),
            data={"accuracy_m": visit.accuracy_m, "max_accuracy_m": policy.max_location_accuracy_m},
        )
    ]


def overlapping_visits(visit: Visit) -> list[Check]:
    """Another visit by the same cadre whose time span overlaps this one's at a household 1 km or more
    away (or at an unknown place): neighbouring households of one compound may be visited together."""
    others = (
        Visit.objects(
            cadre_id=visit.cadre_id,
            id__ne=visit.id,
            started_at__lt=visit.ended_at,
            ended_at__gt=visit.started_at,
        )
        .only(*_FIELDS)
        .order_by("started_at")
        .limit(20)
    )
    results = []
    for other in others:
        metres = _apart(visit, other)
        if metres is not None and metres < MIN_TRAVEL_M:
            continue
        overlap = (
            min(visit.ended_at, other.ended_at) - max(visit.started_at, other.started_at)
        ).total_seconds()
        results.append(
            Check(
                "visit_overlap",
                False,
                ERROR,
                f"同一干部另一次走访时间重叠 {overlap / 60:.0f} 分钟 Overlaps visit {other.id} "
                f"(household {other.household_id}) by {overlap / 60:.0f} min",
                data={
                    **_other(other),
                    "overlap_minutes": round(overlap / 60, 1),
                    "distance_km": None if metres is None else round(metres / 1000, 2),
                },
            )
        )
    return results or [Check("visit_overlap", True, INFO, "与本人其他走访无时间重叠 No overlapping visit")]


def travel_speed(visit: Visit, policy: CheckPolicy) -> list[Check]:
    """The cadre's previous and next visits: was there time to travel between the households?"""
    if visit.lat is None or visit.lon is None:
        return []
    mine = Visit.objects(cadre_id=visit.cadre_id, id__ne=visit.id).only(*_FIELDS)
    before = mine.filter(ended_at__lte=visit.started_at).order_by("-ended_at").first()
    after = mine.filter(started_at__gte=visit.ended_at).order_by("started_at").first()
    results = []
    for other, gap in (
        (before, before and visit.started_at - before.ended_at),
        (after, after and after.started_at - visit.ended_at),
    ):
        metres = None if other is None else _apart(visit, other)
        if metres is None or metres < MIN_TRAVEL_M:
            continue
        hours = max(gap.total_seconds(), 1) / 3600
        kmh = metres / 1000 / hours
        if kmh > policy.max_speed_kmh:
            results.append(
                Check(
                    "travel_speed",
                    False,
                    ERROR,
                    f"与相邻走访相距 {metres / 1000:.1f} 公里，间隔 {gap.total_seconds() / 60:.0f} 分钟，"
                    f"需 {kmh:.0f} 公里/小时 {metres / 1000:.1f} km from visit {other.id} in "
                    f"{gap.total_seconds() / 60:.0f} min: {kmh:.0f} km/h",
                    data={
                        **_other(other),
                        "distance_km": round(metres / 1000, 2),
                        "gap_minutes": round(gap.total_seconds() / 60, 1),
                        "speed_kmh": round(kmh),
                        "max_speed_kmh": policy.max_speed_kmh,
                    },
                )
            )
    return results or [
        Check("travel_speed", True, INFO, "与相邻走访的行程合理 Travel between visits plausible")
    ]


def _apart(a: Visit, b: Visit) -> float | None:
    if None in (a.lat, a.lon, b.lat, b.lon):
        return None
    return distance_m(a.lat, a.lon, b.lat, b.lon)


def _other(other: Visit) -> dict:
    return {
        "visit_id": str(other.id),
        "household_id": other.household_id,
        "started_at": other.started_at.isoformat(),
        "ended_at": other.ended_at.isoformat(),
    }
