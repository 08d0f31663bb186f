"""What happens to a visit after it is submitted: image derivatives, checks, assessment, state.

Both steps are idempotent: running either again changes nothing more (same keys, same results, no
second state change or audit entry when the outcome is the same).
"""

from __future__ import annotations

import io
import logging

from app.audit import service as audit
from app.auth.principal import SYSTEM
from app.checks.evidence import CheckPolicy
from app.checks.run import run_checks, verdict
from app.clock import now
from app.households.models import Household
from app.households.status import next_status
from app.images.hashing import hash_bands, perceptual_hash
from app.images.thumbnails import THUMBNAIL_SIZES, make_thumbnail
from app.rectification.service import open_from_checks
from app.storage import ObjectStore
from app.visits.models import Attachment, StateChange, Visit
from app.visits.states import FINAL, require_transition

log = logging.getLogger(__name__)
HOUSEHOLD_EVENT = {"checked": "visit_checked", "has_issues": "visit_has_issues"}


def process_images(store: ObjectStore, visit_id: str) -> int:
    """Thumbnails (240, 1024 px) beside each original, and a perceptual hash. Returns images processed."""
    done = 0
    for attachment in Attachment.objects(visit_id=visit_id):
        wanted = {str(size) for size in THUMBNAIL_SIZES}
        if attachment.phash and wanted <= set(attachment.thumbnails):
            continue
        original = store.get(attachment.key)
        thumbnails = {}
        for size in THUMBNAIL_SIZES:
            key = f"{attachment.key.rsplit('.', 1)[0]}.t{size}.jpg"
            store.put(key, make_thumbnail(io.BytesIO(original), size), "image/jpeg")
            thumbnails[str(size)] = key
        phash = perceptual_hash(io.BytesIO(original))
        Attachment.objects(id=attachment.id, sha256=attachment.sha256).update_one(
            set__thumbnails=thumbnails, set__phash=phash, set__phash_bands=hash_bands(phash)
        )
        log.info("visit %s slot %s: thumbnails and phash %s", visit_id, attachment.slot, phash)
        done += 1
    return done


def check_visit(forms, policy: CheckPolicy, visit_id: str, assess=None) -> str:
    """Run the checks, assess the household, move visit and household on. Returns the visit's state."""
    visit = Visit.objects(id=visit_id).first()
    if visit is None:
        raise LookupError(f"visit {visit_id} not found")
    if visit.state in FINAL or visit.state == "receiving":
        log.info("visit %s is %s: nothing to check", visit_id, visit.state)
        return visit.state
    form = forms.get(visit.form_id, visit.form_version)
    household = Household.objects(id=visit.household_id).first()
    attachments = {a.slot: a for a in Attachment.objects(visit_id=visit_id)}
    results = run_checks(form, visit, household, attachments, policy)
    state = verdict(results)
    checks = [c.to_dict() for c in results]
    assessment = assess(form, visit, household) if assess else {}
    if visit.state == state and visit.checks == checks and visit.assessment == assessment:
        return state  # a re-run with the same outcome: nothing to record
    require_transition(visit.state, state)
    stamp = now()
    change = StateChange(
        at=stamp,
        state=state,
        actor_id=SYSTEM.user_id,
        actor="checks",
        role="system",
        note=f"{sum(not c['passed'] and c['severity'] == 'error' for c in checks)} blocking",
    )
    updated = Visit.objects(id=visit_id, state=visit.state).update_one(
        set__state=state,
        set__checks=checks,
        set__assessment=assessment,
        set__checked_at=stamp,
        set__updated_at=stamp,
        **({"push__history": change} if state != visit.state else {}),
    )
    if not updated:
        log.info("visit %s changed while checking; leaving it", visit_id)
        return Visit.objects(id=visit_id).only("state").first().state
    if household is not None and household.latest_visit_id == visit_id:
        Household.objects(id=household.id).update_one(
            set__status=next_status(household.status, HOUSEHOLD_EVENT[state]),
            set__latest_assessment=assessment,
            set__updated_at=stamp,
        )
    failed = [
        c["code"] + (f":{c['slot']}" if c.get("slot") else "")
        for c in checks
        if not c["passed"] and c["severity"] == "error"
    ]
    audit.record(SYSTEM, "visit.checked", "visit", visit_id, visit.area_path, state=state, failed=failed)
    open_from_checks(visit_id)  # failed blocking checks become rectification-ledger items (idempotent)
    return state
