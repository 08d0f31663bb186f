"""Visit intake from phones: idempotent creation, resumable attachment uploads, all-in-one submission.

Weak connections mean retries: the same instance_id with the same content returns the same visit;
the same bytes for a slot return the same attachment. Every write that acknowledges a submission is
journaled (see app.db). When the last required attachment arrives, `handoff` queues the visit's checks.
The JSON API, its multipart form and OpenRosa all come in through these functions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from mongoengine import NotUniqueError

from app.area_codes import county_code
from app.audit import service as audit
from app.auth.principal import Principal
from app.campaigns.schedule import campaign_tag
from app.clock import now
from app.digests import json_digest
from app.errors import AlreadyRevised, DuplicateSubmission, Forbidden, SlotLocked, ValidationFailed
from app.forms.answers import validate_answers
from app.forms.registry import FormRegistry
from app.households import service as households
from app.images.inspect import ImageInfo
from app.inputs import VISIT_TIME, implausible_time
from app.queue import JobQueue
from app.storage import ObjectStore
from app.visits import attachments, revisions
from app.visits.handoff import complete_if_ready
from app.visits.models import Attachment, StateChange, Visit
from app.visits.queries import get_visit, get_visit_with_files
from app.visits.upload import ReceivedUpload

log = logging.getLogger(__name__)


class Stored(NamedTuple):
    """What a submission or an upload left behind: the visit, whether anything new was stored (201
    rather than 200), and the visit's files by slot as now stored (to answer with, without reading)."""

    visit: Visit
    created: bool
    files: dict[str, Attachment]


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


def create_visit(
    intake: Intake, principal: Principal, data: dict, *, origin: Mapping[str, Any] | None = None
) -> tuple[Visit, bool]:
    """Create the visit, or return the existing one for a retry. Returns (visit, created).

    `origin` (e.g. {"source": "openrosa", "device_id": …}) is recorded but is not part of the content
    that tells a retry from a different submission.
    """
    principal.require("visits.submit")
    digest = json_digest(data)  # what the phone sent: a retry or a different submission
    _check_times(data["started_at"], data["ended_at"])
    household = households.get_household(principal, data["household_id"])
    form = intake.forms.get(data["form_id"], data["form_version"])
    answers = validate_answers(form, data["answers"])
    revises = data.get("revises")
    sent_back = revisions.revisable(principal, revises, str(household.id), form.form_id) if revises else None
    required = [s.slot for s in form.attachment_slots if s.required]
    stamp = now()
    location = data.get("location") or {}
    tag = campaign_tag(household.area_path, str(household.id), principal.user_id, data["started_at"])
    visit = Visit(
        instance_id=data["instance_id"],
        content_digest=digest,
        form_id=form.form_id,
        form_version=form.version,
        household_id=str(household.id),
        household_number=household.number,
        area_path=household.area_path,
        county_code=county_code(household.area_path),
        cadre_id=principal.user_id,
        cadre=principal.username,
        started_at=data["started_at"],
        ended_at=data["ended_at"],
        lat=location.get("lat"),
        lon=location.get("lon"),
        accuracy_m=location.get("accuracy_m"),
        answers=answers,
        form_role=form.role.to_dict(),
        revises=revises,
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
        campaign_id=tag.campaign_id if tag else None,
        phase=tag.phase if tag else None,
        team=tag.team if tag else None,
        created_at=stamp,
        updated_at=stamp,
    )
    try:
        visit.save(force_insert=True)
    except NotUniqueError:
        # a retry, or a concurrent twin of this request won the insert (the unique instance_id decides:
        # no read before the insert, since nearly every POST is new)
        existing = Visit.objects(instance_id=data["instance_id"]).first()
        return _same_or_conflict(existing, digest, principal), False
    if sent_back is not None and not revisions.link(sent_back, str(visit.id)):
        visit.delete()  # another revisit corrected it between our check and our insert
        raise AlreadyRevised(revises=revises)
    audit.record(
        principal,
        "visit.create",
        "visit",
        str(visit.id),
        visit.area_path,
        household=household.number,
        form=f"{form.form_id}@{form.version}",
        campaign=tag.campaign_id if tag else None,
        phase=tag.phase if tag else None,
        team=tag.team if tag else None,
        revises=revises,
    )
    if not required:
        complete_if_ready(intake.queue, principal, visit, {})
    return visit, True


def _check_times(started_at: datetime, ended_at: datetime) -> None:
    """Every way in (JSON, multipart, OpenRosa) holds a visit to a plausible time window."""
    errors = {
        name: [problem]
        for name, moment in (("started_at", started_at), ("ended_at", ended_at))
        if (problem := implausible_time(moment, **VISIT_TIME))
    }
    if not errors and ended_at < started_at:
        errors["ended_at"] = ["结束时间早于开始时间 ended_at before started_at"]
    if errors:
        raise ValidationFailed(errors=errors)


def _same_or_conflict(existing: Visit, digest: str, principal: Principal) -> Visit:
    principal.check_visible(existing)
    if existing.content_digest != digest:
        raise DuplicateSubmission(visit_id=str(existing.id))
    return existing


def submit(
    intake: Intake,
    principal: Principal,
    data: dict,
    uploads: Mapping[str, ReceivedUpload],
    *,
    origin: Mapping[str, Any] | None = None,
) -> Stored:
    """Create the visit and store its files in one go. Every file is checked first, so a refused file
    leaves nothing behind; a retry of the whole submission changes nothing."""
    principal.require("visits.submit")
    form = intake.forms.get(data["form_id"], data["form_version"])
    checked = {
        slot: _accept(intake, attachments.slot_spec(form, slot), upload) for slot, upload in uploads.items()
    }
    visit, created = create_visit(intake, principal, data, origin=origin)
    files = {} if created else get_visit_with_files(principal, str(visit.id))[1]
    for slot, upload in uploads.items():
        visit, stored = _store(intake, principal, visit, files, slot, upload, checked[slot])
        created = created or stored
    return Stored(visit, created, files)


def attach(intake: Intake, principal: Principal, visit_id: str, slot: str, upload: ReceivedUpload) -> Stored:
    """Store one slot's file; the same bytes again change nothing."""
    principal.require("visits.submit")
    visit, files = get_visit_with_files(principal, visit_id)
    visit, created = _store(intake, principal, visit, files, slot, upload)
    return Stored(visit, created, files)


def attach_device_audit(intake: Intake, principal: Principal, visit_id: str, upload: ReceivedUpload) -> bool:
    """Store the phone's own audit log (ODK Collect's audit.csv: time per question and, with location
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
    key = attachments.storage_key(visit, "device_audit", upload.sha256, "text/csv")
    upload.file.seek(0)
    metadata = {"visit": str(visit.id), "slot": "device_audit", "uploaded-by": principal.username}
    intake.store.put(key, upload.file, "text/csv", sha256_hex=upload.sha256, metadata=metadata)
    stamp = now()
    record = {"key": key, "sha256": upload.sha256, "size": upload.size, "uploaded_at": stamp}
    Visit.objects(id=visit.id).update_one(set__device_audit=record, set__updated_at=stamp)
    audit.record(
        principal, "visit.device_audit", "visit", str(visit.id), visit.area_path, sha256=upload.sha256
    )
    return True


def _accept(intake: Intake, spec, upload: ReceivedUpload) -> ImageInfo:
    return attachments.accept_image(spec, upload, max_bytes=intake.max_bytes, max_pixels=intake.max_pixels)


def _store(
    intake: Intake,
    principal: Principal,
    visit: Visit,
    files: dict[str, Attachment],
    slot: str,
    upload: ReceivedUpload,
    info: ImageInfo | None = None,
) -> tuple[Visit, bool]:
    """Store one file of `visit`, whose stored `files` the caller read; `files` is kept up to date."""
    if visit.cadre_id != principal.user_id:
        raise Forbidden("只有提交走访的干部可以上传附件 Only the visiting cadre may upload")
    spec = attachments.slot_spec(intake.forms.get(visit.form_id, visit.form_version), slot)
    existing = files.get(slot)
    if existing is not None and existing.sha256 == upload.sha256:
        # A retry. If the first attempt stored the file but failed before the visit moved on,
        # finishing the hand-off here is what lets the retry complete the visit.
        return complete_if_ready(intake.queue, principal, visit, files), False
    if existing is not None and visit.state != "receiving":
        raise SlotLocked(slot=slot, state=visit.state)
    info = info or _accept(intake, spec, upload)
    key = attachments.storage_key(visit, slot, upload.sha256, info.content_type)
    upload.file.seek(0)
    intake.store.put(
        key,
        upload.file,
        info.content_type,
        sha256_hex=upload.sha256,
        metadata={"visit": str(visit.id), "slot": slot, "uploaded-by": principal.username},
    )
    before, files[slot] = attachments.record(
        visit, spec, key, upload, info, uploaded_by=principal.username, uploaded_at=now()
    )
    if before == upload.sha256:  # a concurrent twin of this upload recorded it first
        return complete_if_ready(intake.queue, principal, visit, files), False
    if before is not None:
        # Replacing evidence is audited. A first upload is attributed by the attachment itself
        # (uploaded_by, uploaded_at, sha256), and the visit's submission audits every file's hash.
        audit.record(
            principal, "visit.attach", "visit", str(visit.id), visit.area_path,
            slot=slot, sha256=upload.sha256, replaced=before,
        )  # fmt: skip
    return complete_if_ready(intake.queue, principal, visit, files), True
