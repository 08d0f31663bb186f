"""Check jobs: run the automatic checks on a submitted visit, assess the household, move the visit on
to the first level of its review chain.

Idempotent: a re-run with the same outcome records nothing; failed blocking checks become items on the
rectification ledger once. When a visit's photo meets another household's copy of this household's own
earlier photo, that other visit is checked again (`visit.copy_found`): the copy is its fault.
"""

from __future__ import annotations

import logging

from app.auth.principal import SYSTEM
from app.checks.policy import CheckPolicy
from app.checks.reuse import visits_to_recheck
from app.checks.run import run_checks, verdict
from app.clock import now
from app.events import dispatch
from app.forms.registry import FormRegistry
from app.households.models import Household
from app.queue import JobQueue
from app.rectification.service import open_from_checks
from app.review.chains import Chain, entry_fields
from app.visits import lifecycle
from app.visits.assessment import assess_visit
from app.visits.models import Attachment, Visit
from app.visits.states import REVIEWABLE
from workers.runtime import services

log = logging.getLogger(__name__)


def check_visit(visit_id: str) -> str:
    """Check the visit and return its state afterwards."""
    svc = services()
    return run_visit_checks(svc.forms, svc.check_policy, svc.review_chain, svc.queue, visit_id)


def run_visit_checks(
    forms: FormRegistry, policy: CheckPolicy, default_chain: Chain, queue: JobQueue, visit_id: str
) -> str:
    """Check, assess and move one visit; a visit past its checks (signed or decided) is left alone."""
    visit = Visit.objects(id=visit_id).first()
    if visit is None:
        raise LookupError(f"visit {visit_id} not found")
    if visit.state not in ("submitted", *REVIEWABLE):  # receiving, signed, decided or superseded
        log.info("visit %s is %s: nothing to check", visit_id, visit.state)
        return visit.state
    form = forms.get(visit.form_id, visit.form_version)
    household = Household.objects(id=visit.household_id).first()
    attachments = {a.slot: a for a in Attachment.objects(visit_id=visit_id)}
    results = run_checks(form, visit, household, attachments, policy)
    state = verdict(results)
    checks = [c.to_dict() for c in results]
    assessment = assess_visit(form, visit, household)
    if visit.state == state and visit.checks == checks and visit.assessment == assessment:
        return state  # a re-run with the same outcome: nothing to record
    failed = [
        c["code"] + (f":{c['slot']}" if c.get("slot") else "")
        for c in checks
        if not c["passed"] and c["severity"] == "error"
    ]
    fields = {"checks": checks, "assessment": assessment, "checked_at": now()}
    if visit.state == "submitted":  # entering review: the chain that will sign it off, and its first level
        fields |= entry_fields(visit.area_path, default_chain)
    moved = lifecycle.move(
        visit,
        state,
        SYSTEM,
        action="visit.checked",
        fields=fields,
        note=f"{len(failed)} blocking",
        actor_label="checks",
        role="system",
        failed=failed,
    )
    if not moved:
        log.info("visit %s changed while checking; leaving it", visit_id)
        return Visit.objects(id=visit_id).only("state").first().state
    open_from_checks(visit_id)  # failed blocking checks become rectification-ledger items (idempotent)
    for other in visits_to_recheck(results):  # they hold a copy of this household's photo
        dispatch(queue, "visit.copy_found", other)
    return state
