"""Turn a visit and its attachments into what clients see, with short-lived signed links to the files."""

from __future__ import annotations

from app.forms.registry import FormRegistry
from app.media.links import MediaLinks
from app.visits.models import Attachment, Visit

THUMBNAIL, PREVIEW = "240", "1024"


def attachment_view(slot_spec, attachment: Attachment | None, links: MediaLinks) -> dict:
    view = {
        "slot": slot_spec.slot,
        "kind": slot_spec.kind,
        "required": slot_spec.required,
        "label": slot_spec.label_zh,
        "present": attachment is not None,
    }
    if attachment is not None:
        variants = attachment.thumbnails or {}
        view |= {
            "sha256": attachment.sha256,
            "size": attachment.size,
            "content_type": attachment.content_type,
            "width": attachment.width,
            "height": attachment.height,
            "exif": attachment.exif or {},
            "uploaded_at": attachment.uploaded_at,
            "uploaded_by": attachment.uploaded_by,
            "attachment_id": str(attachment.id),
            "url": links.url(str(attachment.id)),
            "thumbnail_url": links.url(str(attachment.id), THUMBNAIL) if THUMBNAIL in variants else None,
            "preview_url": links.url(str(attachment.id), PREVIEW) if PREVIEW in variants else None,
        }
    return view


def _campaign_of(visit: Visit) -> dict | None:
    """The campaign, phase (self_check, mutual_check, rectification) and team the visit belongs to."""
    if not visit.campaign_id:
        return None
    return {"id": visit.campaign_id, "phase": visit.phase, "team": visit.team}


def visit_view(visit: Visit, attachments: dict[str, Attachment], form, links: MediaLinks) -> dict:
    slots = list(form.attachment_slots)
    known = {s.slot for s in slots}
    return {
        "id": str(visit.id),
        "instance_id": visit.instance_id,
        "state": visit.state,
        "household_id": visit.household_id,
        "household_number": visit.household_number,
        "area_code": visit.area_path[-1] if visit.area_path else None,
        "form_id": visit.form_id,
        "form_version": visit.form_version,
        "cadre_id": visit.cadre_id,
        "cadre": visit.cadre,
        "started_at": visit.started_at,
        "ended_at": visit.ended_at,
        "location": {"lat": visit.lat, "lon": visit.lon, "accuracy_m": visit.accuracy_m},
        "answers": visit.answers,
        "attachments": [attachment_view(s, attachments.get(s.slot), links) for s in slots]
        + [
            {"slot": a.slot, "kind": a.kind, "present": True, "required": False}
            for a in attachments.values()
            if a.slot not in known
        ],
        "missing": [s for s in visit.expected_slots if s not in attachments],
        "checks": visit.checks,
        "assessment": visit.assessment,
        "review": visit.review,
        "signoffs": visit.signoffs,
        "review_level": visit.review_level,
        "recheck": visit.recheck or None,
        "revises": visit.revises,
        "revised_by": visit.revised_by,
        "campaign": _campaign_of(visit),
        "created_at": visit.created_at,
        "submitted_at": visit.submitted_at,
        "checked_at": visit.checked_at,
        "decided_at": visit.decided_at,
        "updated_at": visit.updated_at,
    }


def visits_view(visits: list[Visit], forms: FormRegistry, links: MediaLinks) -> list[dict]:
    """Views for a page of visits, loading all their attachments in one query."""
    by_visit: dict[str, dict[str, Attachment]] = {}
    for attachment in Attachment.objects(visit_id__in=[str(v.id) for v in visits]):
        by_visit.setdefault(attachment.visit_id, {})[attachment.slot] = attachment
    return [
        visit_view(v, by_visit.get(str(v.id), {}), forms.get(v.form_id, v.form_version), links)
        for v in visits
    ]
