"""Check jobs: verify a visit's completeness and evidence, assess the household, move states on."""

from __future__ import annotations

from app.visits.processing import check_visit as check
from workers.runtime import services


def check_visit(visit_id: str) -> str:
    svc = services()
    return check(svc.forms, svc.check_policy, visit_id, assess=svc.assess)
