"""Make a household's dossier (一户一档) as a PDF; every dossier made is audited."""

from __future__ import annotations

from app.audit import service as audit
from app.auth.principal import Principal
from app.dossier.content import Dossier, dossier_for
from app.dossier.layout import render
from app.forms.registry import FormRegistry
from app.storage import ObjectStore


def dossier_pdf(
    principal: Principal, household_id: str, forms: FormRegistry, store: ObjectStore
) -> tuple[bytes, Dossier]:
    """The dossier as PDF bytes, and what it was made from; recorded as `household.dossier`."""
    dossier = dossier_for(principal, household_id, forms, store)
    pdf = render(dossier)
    audit.record(
        principal,
        "household.dossier",
        "household",
        str(dossier.household.id),
        dossier.household.area_path,
        visit_id=str(dossier.visit.id) if dossier.visit else None,
        visit_approved=dossier.visit_approved,
        size=len(pdf),
    )
    return pdf, dossier
