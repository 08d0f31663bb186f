"""What goes into a household's dossier (一户一档): record, chosen visit, its evidence, all visits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.areas.models import Area
from app.auth.principal import Principal
from app.clock import now
from app.errors import UnknownForm
from app.forms.registry import FormRegistry
from app.households import service as households
from app.households.models import Household
from app.storage import ObjectStore
from app.visits.models import Attachment, Visit

PREVIEW = "1024"  # the review-size thumbnail; the original when there is none
VISITS_LISTED = 20


@dataclass
class Evidence:
    slot: str
    kind: str  # photo | signature
    label: str
    image: bytes | None  # None when the visit has no file for the slot
    exif: dict = field(default_factory=dict)


@dataclass
class Dossier:
    household: Household
    area_names: list[str]  # province .. village
    show_id_number: bool
    show_phone: bool
    visit: Visit | None  # the latest approved visit, else the latest visit
    visit_approved: bool
    evidence: list[Evidence]
    visits: list[Visit]  # the household's visits, newest first
    generated_at: datetime
    generated_by: str


def chosen_visit(household: Household) -> tuple[Visit | None, bool]:
    """The latest approved visit, or else the latest visit of any state (marked as not approved)."""
    visits = Visit.objects(household_id=str(household.id)).order_by("-created_at")
    approved = visits.filter(state="approved").first()
    if approved is not None:
        return approved, True
    return visits.first(), False


def _slots(
    visit: Visit, forms: FormRegistry, attachments: dict[str, Attachment]
) -> list[tuple[str, str, str]]:
    """The form's photo and signature slots; for a form no longer served, the files the visit has."""
    try:
        form = forms.get(visit.form_id, visit.form_version)
    except UnknownForm:
        return [(a.slot, a.kind, a.slot) for a in attachments.values() if a.kind in ("photo", "signature")]
    return [(s.slot, s.kind, s.label_zh) for s in form.attachment_slots if s.kind in ("photo", "signature")]


def gather_evidence(visit: Visit, forms: FormRegistry, store: ObjectStore) -> list[Evidence]:
    """The visit's photos and signatures, as images to print (review-size thumbnails when made)."""
    attachments = {a.slot: a for a in Attachment.objects(visit_id=str(visit.id))}
    evidence = []
    for slot, kind, label in _slots(visit, forms, attachments):
        attachment = attachments.get(slot)
        image = None
        if attachment is not None:
            image = store.get(attachment.thumbnails.get(PREVIEW) or attachment.key)
        evidence.append(Evidence(slot, kind, label, image, (attachment.exif or {}) if attachment else {}))
    return evidence


def dossier_for(principal: Principal, household_id: str, forms: FormRegistry, store: ObjectStore) -> Dossier:
    household = households.get_household(principal, household_id)
    visit, approved = chosen_visit(household)
    names = dict(Area.objects(code__in=household.area_path).scalar("code", "name"))
    return Dossier(
        household=household,
        area_names=[names.get(code, code) for code in household.area_path],
        show_id_number=principal.can("households.see_id_number"),
        show_phone=principal.can("households.see_phone"),
        visit=visit,
        visit_approved=approved,
        evidence=gather_evidence(visit, forms, store) if visit else [],
        visits=list(Visit.objects(household_id=str(household.id)).order_by("-created_at")[:VISITS_LISTED]),
        generated_at=now(),
        generated_by=f"{principal.display_name or principal.username} "
        f"({principal.username}, {principal.role})",
    )
