"""Automatic checks of a visit's evidence. Each returns Check results; none touches Flask.

Blocking checks have severity "error"; "warning" results (e.g. a photo without EXIF) are shown to
the verifier but do not by themselves send the visit to `has_issues`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from app.checks.geo import distance_m
from app.images.hashing import NEAR_DUPLICATE_DISTANCE, hamming, probe_bands
from app.visits.models import Attachment, Visit

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class CheckPolicy:
    time_tolerance: timedelta = timedelta(minutes=60)
    max_distance_m: float = 500.0
    near_duplicate_distance: int = NEAR_DUPLICATE_DISTANCE


@dataclass(frozen=True)
class Check:
    code: str
    passed: bool
    severity: str
    detail: str
    slot: str | None = None
    data: dict | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def blocking_failures(checks: list[Check]) -> list[Check]:
    return [c for c in checks if not c.passed and c.severity == ERROR]


def evidence_complete(visit: Visit, attachments: dict[str, Attachment]) -> list[Check]:
    missing = [s for s in visit.expected_slots if s not in attachments]
    if missing:
        return [
            Check(
                "evidence_complete",
                False,
                ERROR,
                "缺少必需的照片或签字 Missing: " + ", ".join(missing),
                data={"missing": missing},
            )
        ]
    return [Check("evidence_complete", True, INFO, "四处照相、四方签字齐全 All required evidence present")]


def _taken_at(attachment: Attachment) -> datetime | None:
    value = (attachment.exif or {}).get("taken_at")
    return datetime.fromisoformat(value) if value else None


def capture_time(visit: Visit, photos: list[Attachment], policy: CheckPolicy) -> list[Check]:
    results = []
    start, end = visit.started_at - policy.time_tolerance, visit.ended_at + policy.time_tolerance
    for photo in photos:
        taken = _taken_at(photo)
        if taken is None:
            results.append(
                Check(
                    "photo_time",
                    False,
                    WARNING,
                    "照片无拍摄时间 (EXIF) No capture time in photo",
                    slot=photo.slot,
                )
            )
        elif not start <= taken <= end:
            hours = (taken - visit.started_at).total_seconds() / 3600
            results.append(
                Check(
                    "photo_time",
                    False,
                    ERROR,
                    f"拍摄时间不在走访时段内 Taken {hours:+.1f} h from the visit start",
                    slot=photo.slot,
                    data={"taken_at": taken.isoformat(), "visit_started_at": visit.started_at.isoformat()},
                )
            )
        else:
            results.append(
                Check(
                    "photo_time", True, INFO, "拍摄时间在走访时段内 Taken during the visit", slot=photo.slot
                )
            )
    return results


def capture_place(
    visit: Visit, photos: list[Attachment], home: tuple[float, float] | None, policy: CheckPolicy
) -> list[Check]:
    if home is None:
        return [
            Check("household_location", False, WARNING, "住户无登记坐标 Household has no registered location")
        ]
    results = []
    if visit.lat is not None and visit.lon is not None:
        d = distance_m(visit.lat, visit.lon, *home)
        ok = d <= policy.max_distance_m
        results.append(
            Check(
                "visit_location",
                ok,
                INFO if ok else ERROR,
                f"走访定位距住户 {d:.0f} 米 Visit location {d:.0f} m from the household",
                data={"distance_m": round(d)},
            )
        )
    for photo in photos:
        gps = (photo.exif or {}).get("gps")
        if not gps:
            results.append(
                Check("photo_location", False, WARNING, "照片无 GPS 信息 No GPS in photo", slot=photo.slot)
            )
            continue
        d = distance_m(gps["lat"], gps["lon"], *home)
        ok = d <= policy.max_distance_m
        results.append(
            Check(
                "photo_location",
                ok,
                INFO if ok else ERROR,
                f"拍摄地点距住户 {d:.0f} 米 Taken {d:.0f} m from the household",
                slot=photo.slot,
                data={"distance_m": round(d)},
            )
        )
    return results


def _near(a: Attachment, b: Attachment, policy: CheckPolicy) -> bool:
    return a.sha256 == b.sha256 or (
        bool(a.phash and b.phash) and hamming(a.phash, b.phash) <= policy.near_duplicate_distance
    )


def duplicates_within(items: list[Attachment], code: str, policy: CheckPolicy, what: str) -> list[Check]:
    """The same (or nearly the same) image in two slots of one visit."""
    results = []
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            if _near(a, b, policy):
                results.append(
                    Check(
                        code,
                        False,
                        ERROR,
                        f"{a.slot} 与 {b.slot} 是同一{what} Same {code.split('_')[0]} in two slots",
                        slot=b.slot,
                        data={"other_slot": a.slot},
                    )
                )
    if not results and items:
        results.append(Check(code, True, INFO, f"各{what}互不相同 All distinct"))
    return results


def reuse_elsewhere(
    visit: Visit, items: list[Attachment], policy: CheckPolicy, *, code: str, kind: str, near_severity: str
) -> list[Check]:
    """Exact (sha256) or near (perceptual hash, via the band index) copies in other visits.

    Photos are compared with other households' visits (a household's own earlier photos may look alike);
    signatures with every other visit. The band probes keep this from scanning every stored image;
    candidates are read as raw documents, only the four fields needed.
    """
    results = []
    for item in items:
        other = Attachment.objects(visit_id__ne=str(visit.id), kind=kind)
        if kind == "photo":
            other = other.filter(household_id__ne=visit.household_id)
        fields = ("visit_id", "household_id", "slot", "phash")
        exact = other.filter(sha256=item.sha256).only(*fields).as_pymongo().first()
        if exact is not None:
            results.append(_reuse(code, ERROR, item, exact, 0, "完全相同 identical"))
            continue
        near = None
        if item.phash:
            for candidate in other.filter(phash_bands__in=probe_bands(item.phash)).only(*fields).as_pymongo():
                distance = hamming(item.phash, candidate["phash"]) if candidate.get("phash") else 99
                if distance <= policy.near_duplicate_distance:
                    near = (candidate, distance)
                    break
        if near is not None:
            results.append(_reuse(code, near_severity, item, near[0], near[1], "高度相似 near-duplicate"))
        else:
            results.append(Check(code, True, INFO, "未发现重复使用 Not found elsewhere", slot=item.slot))
    return results


def _reuse(code: str, severity: str, item: Attachment, other: dict, distance: int, how: str) -> Check:
    return Check(
        code,
        False,
        severity,
        f"{item.slot} 与另一次走访的图片{how} (visit {other['visit_id']}, {other['slot']})",
        slot=item.slot,
        data={
            "other_visit_id": other["visit_id"],
            "other_household_id": other["household_id"],
            "other_slot": other["slot"],
            "distance": distance,
        },
    )
