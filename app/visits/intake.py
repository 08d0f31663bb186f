"""Visit intake from phones: idempotent creation, resumable attachment uploads, hand-off to the queue.

Weak connections mean retries: the same instance_id with the same content returns the same visit;
the same bytes for a slot return the same attachment. Every write that acknowledges a submission is
journaled (see app.db). When the last required attachment arrives the visit becomes `submitted` and
its checks are queued; if Redis is down the visit keeps `queued_at = None` and the sweeper re-queues it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from mongoengine import NotUniqueError
from redis.exceptions import RedisError

from app.audit import service as audit
from app.auth.principal import Principal
from app.clock import now
from app.errors import (
    DuplicateSubmission,
    Forbidden,
    SlotLocked,
    UnknownSlot,
    ValidationFailed,
)
from app.events import dispatch
from app.forms.answers import validate_answers
from app.forms.registry import FormRegistry
from app.households import service as households
from app.images.inspect import ImageInfo, inspect_image
from app.queue import JobQueue
from app.storage import ObjectStore
from app.visits import lifecycle
from app.visits.models import Attachment, StateChange, Visit
from app.visits.queries import get_visit
from app.visits.upload import ReceivedUpload

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Intake:
    """What intake needs, passed in: the object store, the queue, the form registry and upload limits."""

    store: ObjectStore
    queue: JobQueue
    forms: FormRegistry
    max_bytes: int
    max_pixels: int

    @classmethod
    def from_extensions(cls, extensions: Mapping[str, Any], config: Any) -> Intake:
        """Intake over an app's registered store, queue and forms, with its configured upload limits."""
        return cls(
            store=extensions["store"],
            queue=extensions["queue"],
            forms=extensions["forms"],
            max_bytes=config.MAX_UPLOAD_BYTES,
            max_pixels=config.MAX_IMAGE_PIXELS,
        )


def content_digest(data: dict) -> str:
    """A stable hash of what the phone sent, to tell a retry from a different submission."""
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def create_visit(
    intake: Intake, principal: Principal, data: dict, *, origin: Mapping[str, Any] | None = None
) -> tuple[Visit, bool]:
    """Create the visit, or return the existing one for a retry. Returns (visit, created).

    `origin` (e.g. {"source": "openrosa", "device_id": …}) is recorded but is not part of the content
    that tells a retry from a different submission.
    """
    principal.require("visits.submit")
    digest = content_digest(data)
    existing = Visit.objects(instance_id=data["instance_id"]).first()
    if existing is not None:
        return _same_or_conflict(existing, digest, principal), False
    household = households.get_household(principal, data["household_id"])
    form = intake.forms.get(data["form_id"], data["form_version"])
    answers = validate_answers(form, data["answers"])
    required = [s.slot for s in form.attachment_slots if s.required]
    stamp = now()
    location = data.get("location") or {}
    visit = Visit(
        instance_id=data["instance_id"],
        content_digest=digest,
        form_id=form.form_id,
        form_version=form.version,
        household_id=str(household.id),
        household_number=household.number,
        area_path=household.area_path,
        cadre_id=principal.user_id,
        cadre=principal.username,
        started_at=data["started_at"],
        ended_at=data["ended_at"],
        lat=location.get("lat"),
        lon=location.get("lon"),
        accuracy_m=location.get("accuracy_m"),
        answers=answers,
        origin=dict(origin or {}),
        expected_slots=required,
        state="receiving",
        history=[
            StateChange(
                at=stamp,
                state="receiving",
                actor_id=principal.user_id,
                actor=principal.username,
                role=principal.role,
            )
        ],
        created_at=stamp,
        updated_at=stamp,
    )
    if data["ended_at"] < data["started_at"]:
        raise ValidationFailed(errors={"ended_at": ["结束时间早于开始时间 ended_at before started_at"]})
    try:
        visit.save(force_insert=True)
    except NotUniqueError:
        # a concurrent twin of this request won the insert: answer as for a retry
        existing = Visit.objects(instance_id=data["instance_id"]).first()
        return _same_or_conflict(existing, digest, principal), False
    audit.record(
        principal,
        "visit.create",
        "visit",
        str(visit.id),
        visit.area_path,
        household=household.number,
        form=f"{form.form_id}@{form.version}",
    )
    if not required:
        complete_if_ready(intake, principal, visit)
    return visit, True


def _same_or_conflict(existing: Visit, digest: str, principal: Principal) -> Visit:
    principal.check_visible(existing)
    if existing.content_digest != digest:
        raise DuplicateSubmission(visit_id=str(existing.id))
    return existing


def attachments_of(visit: Visit) -> dict[str, Attachment]:
    return {a.slot: a for a in Attachment.objects(visit_id=str(visit.id))}


EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "text/csv": "csv"}


def storage_key(visit: Visit, slot: str, sha256: str, content_type: str) -> str:
    """county/town/village/household/visit/slot-hash.ext: a county's objects stay together."""
    county, town, village = (visit.area_path + [""] * 5)[2:5]
    ext = EXTENSIONS.get(content_type, "bin")
    return f"{county}/{town}/{village}/{visit.household_id}/{visit.id}/{slot}-{sha256[:16]}.{ext}"


def submit_visit(
    intake: Intake,
    principal: Principal,
    data: dict,
    uploads: Mapping[str, ReceivedUpload],
    *,
    origin: Mapping[str, Any] | None = None,
) -> tuple[Visit, bool]:
    """Create (or find again) a visit and store its files in one go, checking every file first.

    A file that is not an acceptable image for its slot is refused before anything is written, so a
    rejected request leaves no half-made visit behind. Returns (visit, created-or-changed).
    """
    principal.require("visits.submit")
    form = intake.forms.get(data["form_id"], data["form_version"])
    accepted = {}
    for slot, upload in uploads.items():
        spec = next((s for s in form.attachment_slots if s.slot == slot), None)
        if spec is None:
            raise UnknownSlot(slot=slot, slots=[s.slot for s in form.attachment_slots])
        accepted[slot] = _accept_image(intake, spec, upload)
    visit, changed = create_visit(intake, principal, data, origin=origin)
    for slot, upload in uploads.items():
        visit, attached = attach(intake, principal, str(visit.id), slot, upload, info=accepted[slot])
        changed = changed or attached
    return visit, changed


def attach(
    intake: Intake,
    principal: Principal,
    visit_id: str,
    slot: str,
    upload: ReceivedUpload,
    *,
    info: ImageInfo | None = None,
) -> tuple[Visit, bool]:
    """Store one slot's file. Returns (visit, created); the same bytes again change nothing.

    `info` is the image as `submit_visit` already accepted it for this slot, so it is not decoded twice.
    """
    principal.require("visits.submit")
    visit = get_visit(principal, visit_id)
    if visit.cadre_id != principal.user_id:
        raise Forbidden("只有提交走访的干部可以上传附件 Only the visiting cadre may upload")
    form = intake.forms.get(visit.form_id, visit.form_version)
    spec = next((s for s in form.attachment_slots if s.slot == slot), None)
    if spec is None:
        raise UnknownSlot(slot=slot, slots=[s.slot for s in form.attachment_slots])
    existing = Attachment.objects(visit_id=str(visit.id), slot=slot).first()
    if existing is not None and existing.sha256 == upload.sha256:
        # A retry. If the first attempt stored the file but failed before the visit moved on,
        # finishing the hand-off here is what lets the retry complete the visit.
        return complete_if_ready(intake, principal, visit), False
    if existing is not None and visit.state != "receiving":
        raise SlotLocked(slot=slot, state=visit.state)
    info = info or _accept_image(intake, spec, upload)
    key = storage_key(visit, slot, upload.sha256, info.content_type)
    upload.file.seek(0)
    intake.store.put(
        key,
        upload.file,
        info.content_type,
        sha256_hex=upload.sha256,
        metadata={"visit": str(visit.id), "slot": slot, "uploaded-by": principal.username},
    )
    fields = dict(
        household_id=visit.household_id,
        area_path=visit.area_path,
        kind=spec.kind,
        key=key,
        sha256=upload.sha256,
        size=upload.size,
        content_type=info.content_type,
        width=info.width,
        height=info.height,
        exif=info.exif.to_dict(),
        thumbnails={},
        phash=None,
        phash_bands=[],
        uploaded_by=principal.username,
        uploaded_at=now(),
    )
    Attachment.objects(visit_id=str(visit.id), slot=slot).update_one(
        upsert=True, **{f"set__{k}": v for k, v in fields.items()}
    )
    audit.record(
        principal,
        "visit.attach",
        "visit",
        str(visit.id),
        visit.area_path,
        slot=slot,
        sha256=upload.sha256,
        replaced=existing.sha256 if existing else None,
    )
    visit = complete_if_ready(intake, principal, visit)
    return visit, True


def attach_device_audit(intake: Intake, principal: Principal, visit_id: str, upload: ReceivedUpload) -> bool:
    """Store the phone's own audit log (ODK Collect's audit.csv: timings per question and, with location
    tracking, where the phone was) beside the evidence and record it on the visit. It is not an evidence
    slot, so it may arrive after the visit is complete. Returns False when these bytes are already stored."""
    principal.require("visits.submit")
    visit = get_visit(principal, visit_id)
    if visit.cadre_id != principal.user_id:
        raise Forbidden("只有提交走访的干部可以上传附件 Only the visiting cadre may upload")
    if (visit.device_audit or {}).get("sha256") == upload.sha256:
        return False
    upload.file.seek(0)
    if not upload.file.read(64).startswith(b"event"):
        raise ValidationFailed(
            "audit.csv 不是 ODK 审计日志 Not an ODK audit log", reason_detail="not_audit_log"
        )
    key = storage_key(visit, "device_audit", upload.sha256, "text/csv")
    upload.file.seek(0)
    intake.store.put(
        key,
        upload.file,
        "text/csv",
        sha256_hex=upload.sha256,
        metadata={"visit": str(visit.id), "slot": "device_audit", "uploaded-by": principal.username},
    )
    record = {"key": key, "sha256": upload.sha256, "size": upload.size, "uploaded_at": now()}
    Visit.objects(id=visit.id).update_one(set__device_audit=record, set__updated_at=now())
    audit.record(
        principal, "visit.device_audit", "visit", str(visit.id), visit.area_path, sha256=upload.sha256
    )
    return True


def _accept_image(intake: Intake, spec, upload: ReceivedUpload) -> ImageInfo:
    upload.file.seek(0)
    info = inspect_image(
        upload.file,
        max_bytes=min(intake.max_bytes, spec.max_bytes or intake.max_bytes),
        max_pixels=intake.max_pixels,
    )
    if spec.content_types and info.content_type not in spec.content_types:
        raise ValidationFailed(
            f"此位置只接受 {', '.join(spec.content_types)} Wrong image type for slot",
            slot=spec.slot,
            content_type=info.content_type,
        )
    if (spec.min_width and info.width < spec.min_width) or (
        spec.min_height and info.height < spec.min_height
    ):
        raise ValidationFailed(
            f"图片太小，至少 {spec.min_width}x{spec.min_height} Image too small",
            slot=spec.slot,
            width=info.width,
            height=info.height,
        )
    return info


def complete_if_ready(intake: Intake, principal: Principal, visit: Visit) -> Visit:
    """Move a visit whose required slots are all present to `submitted`, then queue its checks."""
    if visit.state != "receiving":
        return visit
    present = set(Attachment.objects(visit_id=str(visit.id)).distinct("slot"))
    if not set(visit.expected_slots) <= present:
        return visit
    if lifecycle.move(visit, "submitted", principal, action="visit.submit", fields={"submitted_at": now()}):
        enqueue_checks(intake.queue, str(visit.id))
    else:
        visit.reload()  # a concurrent twin won; the visit is no longer `receiving`
    return visit


def enqueue_checks(queue: JobQueue, visit_id: str) -> bool:
    """Hand the visit to the workers; on a Redis failure leave it for the sweeper (nothing is lost)."""
    try:
        dispatch(queue, "visit.submitted", visit_id)
    except RedisError as err:
        log.warning("visit %s submitted but not queued (%s); the sweeper will retry", visit_id, err)
        return False
    Visit.objects(id=visit_id).update_one(set__queued_at=now())
    return True


def sweep(queue: JobQueue, stale_after: timedelta, limit: int = 500) -> dict[str, int]:
    """Re-queue submitted visits that never reached the queue, or were queued long ago and are still
    `submitted` (their job was lost). Jobs are idempotent, so a visit queued twice is harmless."""
    unqueued = [str(v.id) for v in Visit.objects.awaiting_queue().only("id").limit(limit)]
    stuck = [
        str(v.id)
        for v in Visit.objects(state="submitted", queued_at__lt=now() - stale_after).only("id").limit(limit)
    ]
    return {
        "unqueued": sum(enqueue_checks(queue, v) for v in unqueued),
        "stuck": sum(enqueue_checks(queue, v) for v in stuck),
    }
