"""Wire schemas for poverty-status decisions, assistance and identification."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.adjustment.identification import STEP_KEYS
from app.adjustment.models import IDENTIFICATION_STATUSES
from app.areas.schemas import AREA_CODE
from app.households.models import NEEDS, POVERTY_STATUSES, Household
from app.households.poverty import EVENTS
from app.households.schemas import HouseholdIn
from app.inputs import Text

REASON = {"multiline": True, "min_length": 1, "max_length": 2000}
ID = {"max_length": 64}


class EvidenceIn(Schema):
    visit_id = Text(**ID, metadata={"description": "a visit of the household that supports the decision"})
    documents = fields.List(
        Text(max_length=500),
        validate=validate.Length(max=50),
        metadata={"description": "what else was seen: 公示材料, 评议记录, 证明文件 …"},
    )


class PovertyDecisionIn(Schema):
    event = Text(
        required=True,
        validate=validate.OneOf([e.key for e in EVENTS.values() if not e.procedure]),
        metadata={
            "description": "lift_out 脱贫, end_support, monitor 纳入监测, clear_risk 风险消除, "
            "relapse 返贫, remove 清退, dissolve 自然减员"
        },
    )
    to = Text(
        load_default=None,
        validate=validate.OneOf(list(POVERTY_STATUSES)),
        metadata={"description": "where the event may lead to more than one status (e.g. lifted_supported)"},
    )
    reason = Text(required=True, **REASON)
    evidence = fields.Nested(EvidenceIn, load_default=dict)


class AssistanceIn(Schema):
    measures = Text(required=True, **REASON, metadata={"description": "即时帮扶措施"})
    evidence = fields.Nested(EvidenceIn, load_default=dict)


class PovertyEventOut(Schema):
    id = fields.String()
    household_id = fields.String()
    household_number = fields.String()
    event = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    reason = fields.String()
    evidence = fields.Dict()
    actor = fields.String()
    actor_id = fields.String()
    role = fields.String()
    at = fields.DateTime()
    year = fields.Integer()


class CandidateIn(HouseholdIn):
    """A household not on the register; its number is generated unless given."""

    class Meta:
        exclude = ("poverty_status",)  # a candidate, by definition

    number = Text(min_length=1, fits=Household.number)


class ApplicationIn(Schema):
    household = fields.Nested(CandidateIn, metadata={"description": "a new candidate household"})
    household_id = Text(**ID, metadata={"description": "or an ordinary / monitored household"})
    needs = fields.List(
        Text(validate=validate.OneOf(list(NEEDS))),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "四个必到: dibao 低保户, tekun 特困/五保户, low_income, disabled"},
    )
    source_visit_id = Text(**ID, metadata={"description": "the visit during which it was found"})
    note = Text(**REASON, load_default=None)
    evidence = fields.Dict(load_default=dict)


class StepIn(Schema):
    step = Text(required=True, validate=validate.OneOf(STEP_KEYS))
    decision = Text(required=True, validate=validate.OneOf(("pass", "fail")))
    note = Text(load_default=None, multiline=True, max_length=2000)
    evidence = fields.Dict(
        load_default=dict,
        metadata={
            "description": "public_notice: {from, to} dates (at least 7 days); town_check: {visit_id} of a "
            "visit of the household the town approved"
        },
    )


class StepOut(Schema):
    step = fields.String()
    decision = fields.String()
    note = fields.String(allow_none=True)
    evidence = fields.Dict()
    actor = fields.String()
    actor_id = fields.String()
    actor_name = fields.String()
    role = fields.String()
    at = fields.DateTime()


class IdentificationOut(Schema):
    id = fields.String()
    household_id = fields.String()
    household_number = fields.String()
    head_name = fields.String()
    area_code = fields.Function(lambda i: i.area_path[-1] if i.area_path else None)
    needs = fields.List(fields.String())
    source_visit_id = fields.String(allow_none=True)
    status = fields.String()
    next_step = fields.Function(
        lambda i: (
            STEP_KEYS[len(i.steps)] if i.status == "in_progress" and len(i.steps) < len(STEP_KEYS) else None
        )
    )
    steps = fields.List(fields.Nested(StepOut))
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class IdentificationQuery(Schema):
    area = Text(validate=AREA_CODE)
    status = Text(validate=validate.OneOf(IDENTIFICATION_STATUSES))
