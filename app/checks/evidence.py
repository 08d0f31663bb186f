"""Automatic checks of a visit's evidence. Each returns Check results; none touches Flask.

Blocking checks have severity "error"; "warning" results (e.g. a photo without EXIF) are shown to
the verifier but do not by themselves send the visit to `has_issues`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from app.checks.geo import distance_m
from app.checks.policy import CheckPolicy
from app.images.hashing import hamming
from app.visits.models import Attachment, Visit

ERROR, WARNING, INFO = "error", "warning", "info"


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
                    policy.unverifiable_photo,
                    "照片无拍摄时间 (EXIF)，无法核实 No capture time in photo: cannot be verified",
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
                Check(
                    "photo_location",
                    False,
                    policy.unverifiable_photo,
                    "照片无 GPS 信息，无法核实 No GPS in photo: cannot be verified",
                    slot=photo.slot,
                )
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


def capture_device(photos: list[Attachment], policy: CheckPolicy) -> list[Check]:
    """Photos of one visit come from one phone: a photo from another device (or none named) was
    probably not taken at this visit. The device most photos name is the visit's."""
    devices = [(photo.exif or {}).get("device") for photo in photos]
    named = [d for d in devices if d]
    if not photos:
        return []
    usual = max(set(named), key=named.count) if named else None
    results = []
    for photo, device in zip(photos, devices, strict=True):
        if device and device == usual:
            continue
        what = f"另一部设备 {device}" if device else "未记录设备"
        results.append(
            Check(
                "photo_device",
                False,
                policy.unverifiable_photo,
                f"{what}，与本次走访其他照片 ({usual or '无'}) 不同 "
                "Device differs from the visit's other photos",
                slot=photo.slot,
                data={"device": device, "visit_device": usual},
            )
        )
    if not results:
        results.append(Check("photo_device", True, INFO, f"照片均来自同一设备 All photos from {usual}"))
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
