"""Campaign wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.area_codes import LEVELS
from app.areas.schemas import AREA_CODE
from app.campaigns.models import PHASES
from app.campaigns.service import MAX_SEED
from app.inputs import DEADLINE, Day, Text


class PhaseIn(Schema):
    name = Text(
        required=True,
        validate=validate.OneOf(PHASES),
        metadata={"description": "self_check 自查, mutual_check 互查, rectification 整改"},
    )
    starts_on = Day(required=True, **DEADLINE, metadata={"description": "China date, inclusive"})
    ends_on = Day(required=True, **DEADLINE, metadata={"description": "China date, inclusive"})


class CampaignIn(Schema):
    area = Text(required=True, validate=AREA_CODE)
    name = Text(required=True, min_length=1, max_length=100)
    phases = fields.List(fields.Nested(PhaseIn), required=True, validate=validate.Length(min=1, max=3))
    unit_level = Text(
        validate=validate.OneOf(LEVELS),
        metadata={"description": "level of the areas that form and receive teams; default: one below `area`"},
    )
    households_per_team = fields.Integer(
        validate=validate.Range(1, 100_000),
        metadata={"description": "households drawn from the checked unit per team; default: all"},
    )


class DrawIn(Schema):
    seed = fields.Integer(
        load_default=None,
        validate=validate.Range(0, MAX_SEED - 1),
        metadata={"description": "the same seed over the same units draws the same teams; chosen if absent"},
    )


class PhaseOut(Schema):
    name = fields.String()
    label = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()


class TeamOut(Schema):
    number = fields.Integer()
    home_code = fields.String(metadata={"description": "the unit the members come from"})
    home_name = fields.String()
    target_code = fields.String(metadata={"description": "the unit drawn for them to check"})
    target_name = fields.String()
    members = fields.List(fields.String())
    member_ids = fields.List(fields.String())
    households = fields.Integer(metadata={"description": "households assigned"})
    visited = fields.Integer(metadata={"description": "assigned households with a submitted team visit"})
    flagged = fields.Integer(
        metadata={
            "description": "visited households whose visit failed checks, was sent back or got a ledger item"
        }
    )
    approved = fields.Integer(metadata={"description": "households whose team visit was approved"})
    pending = fields.Integer(metadata={"description": "households not visited yet"})


class CampaignOut(Schema):
    id = fields.String()
    name = fields.String()
    area_code = fields.String()
    area_name = fields.String()
    unit_level = fields.String()
    phases = fields.List(fields.Nested(PhaseOut))
    starts_on = fields.Date()
    ends_on = fields.Date()
    households_per_team = fields.Integer(allow_none=True)
    seed = fields.Integer(allow_none=True)
    drawn_at = fields.DateTime(allow_none=True)
    drawn_by = fields.String(allow_none=True)
    created_by = fields.String()
    created_at = fields.DateTime()
    teams = fields.List(fields.Nested(TeamOut))


class CampaignSummaryOut(CampaignOut):
    class Meta:
        exclude = ("teams",)


class CampaignQuery(Schema):
    area = Text(validate=AREA_CODE)


class AssignmentOut(Schema):
    household_id = fields.String()
    household_number = fields.String()
    area_code = fields.Function(lambda a: a.area_path[-1] if a.area_path else None)
    visit_id = fields.String(allow_none=True)
    visit_state = fields.String(allow_none=True)
    problems = fields.Integer()
