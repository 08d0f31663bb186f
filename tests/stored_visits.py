"""Build visits as the intake and the check job would leave them, directly in the database.

For review, report, dossier and rectification tests that need many visits in given states without
going through HTTP uploads and the worker (tests/test_review.py also runs that whole path once).
Files, when asked for, are real JPEG photos and PNG signatures stored in the real object store.
"""

from __future__ import annotations

import io
import uuid
import zlib
from datetime import UTC, datetime, timedelta

from app.images.inspect import inspect_image
from app.images.thumbnails import make_thumbnail
from app.visits.models import Attachment, StateChange, Visit
from devkit.generate import SLOTS
from devkit.imagegen import make_photo, make_signature

FORM_ID, FORM_VERSION = "household_visit", 1
INDICATORS = {
    "food_clothing": "不愁吃、不愁穿",
    "compulsory_education": "义务教育有保障",
    "basic_medical": "基本医疗有保障",
    "housing_safety": "住房安全有保障",
    "drinking_water": "饮水安全有保障",
    "income": "收入达标",
}
# visit state -> household status the intake and check job leave behind (None: untouched)
HOUSEHOLD_STATUS = {
    "receiving": None,
    "submitted": "visit_submitted",
    "checked": "checked",
    "has_issues": "has_issues",
    "approved": "verified",
    "rejected": "rejected",
    "revisit_requested": "revisit_requested",
}
ORDER = ["receiving", "submitted", "checked", "has_issues", "approved", "rejected", "revisit_requested"]
CHAIN = {"levels": ["town", "county"], "recheck_percent": 5.0, "source": "default"}  # the default chain
VISIT_ROLE = {"contributes": ["assessment", "satisfaction"], "moves_household": True}
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DECISION_OF = {"approved": "approve", "rejected": "reject", "revisit_requested": "request_revisit"}


def assessment(
    failed: set[str] | tuple = (),
    *,
    income: float | None = 6000.0,
    threshold: float = 4500.0,
    satisfaction: str | None = "satisfied",
) -> dict:
    """An assessment in the shape the forms engine produces; `failed` indicator codes do not pass."""
    income_passed = None if income is None else income >= threshold
    indicators = []
    for code, label in INDICATORS.items():
        passed = code not in failed if code != "income" else bool(income_passed) and code not in failed
        indicators.append({"code": code, "label_zh": label, "passed": passed, "detail": f"{label}: 测试"})
    return {
        "indicators": indicators,
        "per_capita_income": income,
        "threshold": threshold,
        "income_passed": income_passed,
        "all_passed": all(i["passed"] for i in indicators),
        "satisfaction": satisfaction,
    }


def checks(failed: dict[str, list[str | None]] | None = None, warnings: tuple[str, ...] = ()) -> list[dict]:
    """Check results: `failed` maps a blocking check code to the slots it failed for (None: no slot)."""
    results = [{"code": "answers_valid", "passed": True, "severity": "info", "detail": "表单答案有效"}]
    results.append({"code": "evidence_complete", "passed": True, "severity": "info", "detail": "齐全"})
    for code, slots in (failed or {}).items():
        for slot in slots:
            result = {"code": code, "passed": False, "severity": "error", "detail": f"{code} 未通过"}
            results.append(result | ({"slot": slot} if slot else {}))
    for code in warnings:
        results.append({"code": code, "passed": False, "severity": "warning", "detail": "照片无 GPS 信息"})
    return results


def _history(state: str, cadre, at: datetime, reviewer=None) -> list[StateChange]:
    path = {"receiving": [], "submitted": ["submitted"], "checked": ["submitted", "checked"]}
    path["has_issues"] = ["submitted", "has_issues"]
    steps = ["receiving", *(path.get(state, ["submitted", "checked", state]))]
    changes = []
    for i, step in enumerate(steps):
        who = {
            "receiving": (cadre, "cadre"),
            "submitted": (cadre, "cadre"),
            "checked": (None, "system"),
            "has_issues": (None, "system"),
        }
        user, role = who.get(step, (reviewer, "verifier"))
        changes.append(
            StateChange(
                at=at + timedelta(minutes=i),
                state=step,
                actor_id=str(user.id) if user else "system",
                actor=user.username if user else "checks",
                role=role,
            )
        )
    return changes


def build_visit(
    household,
    cadre,
    *,
    state: str = "checked",
    submitted_at: datetime | None = None,
    assessed: dict | None = None,
    failed: dict[str, list[str | None]] | None = None,
    warnings: tuple[str, ...] = (),
    reviewer=None,
    comment: str | None = None,
    store=None,
    latest: bool = True,
) -> Visit:
    """A visit of `household` by `cadre` in `state`, with its household moved as the product would.
    A checked visit waits for the town level of the default chain (town → county); a decided one was
    decided by the town (`reviewer`) in one step, as before chains.

    With `store`, the eight photos and signatures are real images in the object store (photos with
    240 and 1024 px thumbnails). `latest=False` leaves the household pointing at another visit.
    """
    at = submitted_at or T0
    if failed and state == "checked":
        state = "has_issues"
    checked = ORDER.index(state) >= ORDER.index("checked")
    decided = state in DECISION_OF
    visit = Visit(
        instance_id=str(uuid.uuid4()),
        content_digest=uuid.uuid4().hex,
        form_id=FORM_ID,
        form_version=FORM_VERSION,
        household_id=str(household.id),
        household_number=household.number,
        area_path=household.area_path,
        cadre_id=str(cadre.id),
        cadre=cadre.username,
        started_at=at - timedelta(minutes=50),
        ended_at=at - timedelta(minutes=5),
        lat=household.lat,
        lon=household.lon,
        accuracy_m=10.0,
        answers={},
        state=state,
        expected_slots=list(SLOTS),
        checks=checks(failed, warnings) if checked else [],
        assessment=(assessed if assessed is not None else assessment()) if checked else {},
        review={},
        form_role=VISIT_ROLE,
        review_chain=CHAIN if checked else {},
        review_level="town" if state in ("checked", "has_issues") else None,
        history=_history(state, cadre, at, reviewer),
        submitted_at=at if state != "receiving" else None,
        checked_at=at + timedelta(minutes=1) if checked else None,
        decided_at=at + timedelta(minutes=2) if decided else None,
        created_at=at - timedelta(minutes=50),
        updated_at=at,
    )
    if decided:
        visit.review = {
            "decision": DECISION_OF[state],
            "comment": comment,
            "slot_comments": {},
            "reviewer": reviewer.username if reviewer else "verifier",
            "reviewer_id": str(reviewer.id) if reviewer else "x",
            "at": visit.decided_at,
        }
    visit.save()
    if store is not None:
        attach_files(visit, store, seed=zlib.crc32(household.number.encode()) % 10_000)
    if latest and state != "receiving":
        household.latest_visit_id = str(visit.id)
        household.status = HOUSEHOLD_STATUS[state]
        if checked:
            household.latest_assessment = visit.assessment
            if visit.assessment.get("satisfaction"):
                answer = visit.assessment["satisfaction"]
                household.satisfaction = {"answer": answer, "visit_id": str(visit.id), "at": visit.ended_at}
        if state == "approved":
            household.verified_visit_id = str(visit.id)
        household.save()
    return visit


def attach_files(visit: Visit, store, *, seed: int = 1, slots: list[str] | None = None) -> list[Attachment]:
    """Real images for `slots` (default all eight) in the store, recorded as the intake would."""
    made = []
    for i, slot in enumerate(slots or list(SLOTS)):
        kind = SLOTS[slot]
        if kind == "photo":
            body = make_photo(
                seed * 100 + i, width=1600, height=1200, taken_at=visit.started_at, gps=(36.45, 115.45)
            )
        else:
            body = make_signature(seed * 100 + 50 + i)
        info = inspect_image(io.BytesIO(body), max_bytes=20_000_000, max_pixels=40_000_000)
        ext = "png" if info.content_type == "image/png" else "jpg"
        key = f"test/{visit.household_id}/{visit.id}/{slot}.{ext}"
        store.put(key, body, info.content_type)
        thumbnails = {}
        if kind == "photo":
            for size in (240, 1024):
                thumbnails[str(size)] = f"{key}.t{size}.jpg"
                store.put(thumbnails[str(size)], make_thumbnail(io.BytesIO(body), size), "image/jpeg")
        attachment = Attachment(
            visit_id=str(visit.id),
            household_id=visit.household_id,
            area_path=visit.area_path,
            slot=slot,
            kind=kind,
            key=key,
            thumbnails=thumbnails,
            sha256=uuid.uuid4().hex,
            size=len(body),
            content_type=info.content_type,
            width=info.width,
            height=info.height,
            exif=info.exif.to_dict(),
            uploaded_by=visit.cadre,
            uploaded_at=visit.ended_at,
        )
        attachment.save()
        made.append(attachment)
    return made
