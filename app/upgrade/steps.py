"""The data migration for review chains, form roles and the household lifecycle (issue 14).

Before forms declared their roles, a satisfaction survey submitted for a household replaced its
verification status, latest visit and 两不愁三保障 assessment with the survey's empty one, and the
survey's own answer was never counted. Before review chains, a visit waiting for review had no level.
These steps repair that, each idempotent, each audited as the system:

1. visit_roles: each visit records its form's role (from forms/settings/).
2. satisfaction_answers: checked visits of forms that contribute to the satisfaction rate carry the
   answer in their assessment (the survey's was never read).
3. review_levels: visits waiting for review wait for the first level of their area's chain; decided
   visits record their one town sign-off.
4. household_poverty: households without a poverty status are `poor` (建档立卡贫困户).
5. household_verification: households touched by a visit of a form that does not move them get back
   the verification status, latest visit, assessment and verified visit their own visits give them.
6. household_satisfaction: each household's latest satisfaction answer, from any contributing form.
The later steps (the attachments' visit ids, county codes for sharding, verified records, the report
counters) say what they repair in their own docstrings.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable

from bson import ObjectId

from app.area_codes import county_code
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.auth.principal import SYSTEM
from app.errors import UnknownForm
from app.forms.conditions import resolve
from app.forms.registry import FormRegistry
from app.households.lifecycle import LEGACY_ROLE, STATUS_OF_VISIT, verified_record
from app.households.models import Household
from app.reports.counted import KINDS
from app.review.chains import Chain, entry_fields
from app.tallies.sweep import settle_changed_since
from app.visits.lifecycle import facts
from app.visits.models import Attachment, Visit
from app.visits.states import CHECKED_OR_LATER, DECIDED, REVIEWABLE

BATCH = 1000  # documents read per round of updates


def _role(forms: FormRegistry, form_id: str) -> dict:
    try:
        return forms.get(form_id).role.to_dict()
    except UnknownForm:
        return dict(LEGACY_ROLE)


def visit_roles(forms: FormRegistry, _chain: Chain) -> int:
    changed = 0
    for form_id in Visit.objects(form_role__contributes__exists=False).distinct("form_id"):
        changed += Visit.objects(form_id=form_id, form_role__contributes__exists=False).update(
            set__form_role=_role(forms, form_id)
        )
    return changed


def satisfaction_answers(forms: FormRegistry, _chain: Chain) -> int:
    """Fill in answers that were never read (the survey's); an answer already recorded stays."""
    changed = 0
    for form_id in Visit.objects(state__in=list(CHECKED_OR_LATER)).distinct("form_id"):
        try:
            field = forms.get(form_id).role.satisfaction_field
        except UnknownForm:
            continue
        if not field:
            continue
        unread = Visit.objects(
            form_id=form_id, state__in=list(CHECKED_OR_LATER), assessment__satisfaction=None
        )
        for visit in unread.only("answers", "assessment"):
            answer = resolve(field, visit.answers)
            if isinstance(answer, str):
                assessment = {"indicators": [], "all_passed": None} | (visit.assessment or {})
                changed += Visit.objects(id=visit.id, assessment__satisfaction=None).update_one(
                    set__assessment=assessment | {"satisfaction": answer}
                )
    return changed


def review_levels(_forms: FormRegistry, chain: Chain) -> int:
    changed = 0
    waiting = Visit.objects(state__in=list(REVIEWABLE), review_level=None).only("area_path")
    for visit in waiting:
        changed += Visit.objects(id=visit.id, review_level=None).update_one(
            **{f"set__{k}": v for k, v in entry_fields(visit.area_path, chain).items()}
        )
    for visit in Visit.objects(state__in=list(DECIDED), signoffs__size=0, review__decision__exists=True).only(
        "review"
    ):
        signoff = {"level": "town", "role": "verifier"} | visit.review
        changed += Visit.objects(id=visit.id, signoffs__size=0).update_one(set__signoffs=[signoff])
    return changed


def household_poverty(_forms: FormRegistry, _chain: Chain) -> int:
    return Household.objects(poverty_status__exists=False).update(set__poverty_status="poor")


def _status_of(visit: Visit) -> str:
    if visit.state == "in_review":  # waiting for a higher level: the household is as its checks left it
        failed = any(not c.get("passed") and c.get("severity") == "error" for c in visit.checks or [])
        return "has_issues" if failed else "checked"
    return STATUS_OF_VISIT[visit.state]


def verification_of(household_id: str) -> dict:
    """The verification fields a household's own (household-moving) visits give it."""
    visits = [
        v
        for v in Visit.objects(
            household_id=household_id, state__in=["submitted", *CHECKED_OR_LATER]
        ).order_by("submitted_at", "id")
        if (v.form_role or LEGACY_ROLE).get("moves_household", True)
    ]
    latest = visits[-1] if visits else None
    assessed = [
        v
        for v in visits
        if v.state in CHECKED_OR_LATER
        and "assessment" in (v.form_role or LEGACY_ROLE).get("contributes", [])
        and (v.assessment or {}).get("indicators")
    ]
    approved = [v for v in visits if v.state == "approved"]
    return {
        "status": _status_of(latest) if latest else "registered",
        "latest_visit_id": str(latest.id) if latest else None,
        "latest_assessment": assessed[-1].assessment if assessed else {},
        "verified_visit_id": str(approved[-1].id) if approved else None,
    }


def household_verification(_forms: FormRegistry, _chain: Chain) -> int:
    changed = 0
    touched = Visit.objects(form_role__moves_household=False).distinct("household_id")
    for household in Household.objects(id__in=touched):
        wanted = verification_of(str(household.id))
        before = {
            name: getattr(household, name) or ({} if name == "latest_assessment" else None) for name in wanted
        }
        if before == wanted:
            continue
        Household.objects(id=household.id).update_one(**{f"set__{k}": v for k, v in wanted.items()})
        audit.record(
            SYSTEM,
            "household.migrate",
            "household",
            str(household.id),
            household.area_path,
            step="household_verification",
            before={k: v for k, v in before.items() if k != "latest_assessment"},
            after={k: v for k, v in wanted.items() if k != "latest_assessment"},
            assessment_restored=before["latest_assessment"] != wanted["latest_assessment"],
        )
        changed += 1
    return changed


def household_satisfaction(_forms: FormRegistry, _chain: Chain) -> int:
    pipeline = [
        {
            "$match": {
                "state": {"$in": list(CHECKED_OR_LATER)},
                "form_role.contributes": "satisfaction",
                "assessment.satisfaction": {"$in": ["satisfied", "basically_satisfied", "dissatisfied"]},
            }
        },
        {"$sort": {"ended_at": 1, "_id": 1}},
        {
            "$group": {
                "_id": "$household_id",
                "visit_id": {"$last": "$_id"},
                "answer": {"$last": "$assessment.satisfaction"},
                "at": {"$last": "$ended_at"},
            }
        },
    ]
    changed = 0
    for row in Visit.objects.aggregate(pipeline):
        value = {"answer": row["answer"], "visit_id": str(row["visit_id"]), "at": row["at"]}
        household = Household.objects(id=row["_id"]).only("satisfaction").first()
        if household is None or _same_answer(household.satisfaction, value):
            continue
        changed += Household.objects(id=row["_id"]).update_one(set__satisfaction=value)
    return changed


def _same_answer(stored: dict | None, value: dict) -> bool:
    stored = stored or {}
    return stored.get("answer") == value["answer"] and stored.get("visit_id") == value["visit_id"]


def attachment_visit_ids(_forms: FormRegistry, _chain: Chain) -> int:
    """Attachments stored before they carried their visit's _id (read with their visit in one query)."""
    collection, done = Attachment._get_collection(), 0
    for doc in collection.find({"visit_oid": None}, {"visit_id": 1}):
        if ObjectId.is_valid(doc["visit_id"]):
            done += collection.update_one(
                {"_id": doc["_id"]}, {"$set": {"visit_oid": ObjectId(doc["visit_id"])}}
            ).modified_count
    return done


def county_codes(_forms: FormRegistry, _chain: Chain) -> int:
    """Visits, attachments and audit events stored before they carried their county as a scalar (the
    shard key's leading field): one pass over those without it, one update per county and batch."""
    done = 0
    for document in (Visit, Attachment, AuditEvent):
        collection = document._get_collection()
        missing = collection.find({"county_code": {"$exists": False}}, {"area_path": 1})
        while batch := list(itertools.islice(missing, BATCH)):
            by_county = defaultdict(list)
            for doc in batch:
                by_county[county_code(doc.get("area_path") or [])].append(doc["_id"])
            by_county.pop(None, None)  # above county level, or no area: nothing to shard by
            for county, ids in by_county.items():
                done += collection.update_many(
                    {"_id": {"$in": ids}}, {"$set": {"county_code": county}}
                ).modified_count
    return done


def verified_records(_forms: FormRegistry, _chain: Chain) -> int:
    """What each verified household's verifying visit found (识别准确率 reads it from the household)."""
    done = 0
    for household in Household.objects(verified_visit_id__ne=None, verified_record=None).only(
        "verified_visit_id"
    ):
        visit = Visit.objects(id=household.verified_visit_id).first()
        if visit is not None:
            record = verified_record(facts(visit))
            done += Household.objects(id=household.id).update_one(set__verified_record=record)
    return done


def report_counters(_forms: FormRegistry, _chain: Chain) -> int:
    """Settle every counted document (the steps above write past the services): the report's counters
    then hold what the documents say. Documents already counted are only read."""
    return sum(settle_changed_since(kind, None) for kind in KINDS)


STEPS: list[tuple[str, Callable[[FormRegistry, Chain], int]]] = [
    ("visit_roles", visit_roles),
    ("satisfaction_answers", satisfaction_answers),
    ("review_levels", review_levels),
    ("household_poverty", household_poverty),
    ("household_verification", household_verification),
    ("household_satisfaction", household_satisfaction),
    ("attachment_visit_ids", attachment_visit_ids),
    ("county_codes", county_codes),
    ("verified_records", verified_records),
    ("report_counters", report_counters),  # last: counts what the steps above repaired
]


def migrate(forms: FormRegistry, default_chain: Chain) -> dict[str, int]:
    """Run every step in order; returns how many documents each one changed (all 0 on a second run)."""
    results = {name: step(forms, default_chain) for name, step in STEPS}
    audit.record(SYSTEM, "data.migrate", "database", None, **results)
    return results
