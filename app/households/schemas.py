"""Household wire schemas. What goes out is masked first, by app.households.presenter."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

from app.areas.schemas import AREA_CODE
from app.households.idnumbers import PHONE_RE, is_valid_id
from app.households.models import (
    CATEGORIES,
    MAX_CAUSES,
    MAX_MEMBERS,
    NEEDS,
    POVERTY_STATUSES,
    STATUSES,
    Household,
    Member,
)
from app.inputs import BIRTH_DATE, Day, Text

# the poverty statuses a household may be registered with; the others are reached through decisions
INITIAL_POVERTY = (
    "poor",
    "lifted_supported",
    "lifted_unsupported",
    "unstable",
    "marginal",
    "sudden_hardship",
    "relapsed",
    "ordinary",
)


class MemberOut(Schema):
    name = fields.String()
    relation = fields.String(allow_none=True)
    id_number = fields.String(allow_none=True, metadata={"description": "masked unless the role may see it"})
    birth_date = fields.Date(allow_none=True)
    labour_ability = fields.String(allow_none=True)
    health = fields.String(allow_none=True)
    schooling = fields.String(allow_none=True)


class HouseholdOut(Schema):
    id = fields.String()
    number = fields.String()
    village_code = fields.String()
    area_path = fields.List(fields.String())
    head_name = fields.String()
    id_number = fields.String(allow_none=True, metadata={"description": "masked unless the role may see it"})
    phone = fields.String(allow_none=True, metadata={"description": "masked unless the role may see it"})
    address = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    category = fields.String(allow_none=True)
    poverty_causes = fields.List(fields.String())
    helper_id = fields.String(allow_none=True)
    helper_name = fields.String(allow_none=True)
    members = fields.List(fields.Nested(MemberOut))
    status = fields.String(metadata={"description": "verification status (follows the household's visits)"})
    poverty_status = fields.String(metadata={"description": "贫困状态: " + ", ".join(POVERTY_STATUSES)})
    poverty_label = fields.Function(lambda h: POVERTY_STATUSES.get(h.get("poverty_status")))
    poverty_changed_at = fields.DateTime(allow_none=True)
    needs = fields.List(fields.String(), metadata={"description": "四个必到 categories: " + ", ".join(NEEDS)})
    satisfaction = fields.Dict(
        metadata={"description": "the latest satisfaction answer: answer, visit_id, at"}
    )
    latest_assessment = fields.Dict()
    latest_visit_id = fields.String(allow_none=True)
    verified_visit_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class MemberIn(Schema):
    name = Text(required=True, min_length=1, fits=Member.name)
    relation = Text(fits=Member.relation)
    id_number = Text(fits=Member.id_number)
    birth_date = Day(**BIRTH_DATE)
    labour_ability = Text(fits=Member.labour_ability)
    health = Text(fits=Member.health)
    schooling = Text(fits=Member.schooling)

    @validates("id_number")
    def _id(self, value, **_):
        if value and not is_valid_id(value):
            raise ValidationError("身份证号无效 Invalid ID number")


class HouseholdPatch(Schema):
    village_code = Text(validate=AREA_CODE)
    head_name = Text(min_length=1, fits=Household.head_name)
    id_number = Text(fits=Household.id_number)
    phone = Text(validate=validate.Regexp(PHONE_RE, error="电话号码无效 Invalid phone number"))
    address = Text(fits=Household.address)
    lat = fields.Float(validate=validate.Range(-90, 90))
    lon = fields.Float(validate=validate.Range(-180, 180))
    category = Text(validate=validate.OneOf(CATEGORIES))
    poverty_causes = fields.List(
        Text(min_length=1, fits=Household.poverty_causes.field), validate=validate.Length(max=MAX_CAUSES)
    )
    helper = Text(max_length=100, metadata={"description": "cadre username or user id"})
    members = fields.List(fields.Nested(MemberIn), validate=validate.Length(max=MAX_MEMBERS))

    @validates("id_number")
    def _id(self, value, **_):
        if value and not is_valid_id(value):
            raise ValidationError("身份证号无效 Invalid ID number")


class HouseholdIn(HouseholdPatch):
    number = Text(required=True, min_length=1, fits=Household.number)
    village_code = Text(required=True, validate=AREA_CODE)
    head_name = Text(required=True, min_length=1, fits=Household.head_name)
    poverty_status = Text(
        validate=validate.OneOf(INITIAL_POVERTY),
        metadata={
            "description": "the status it is registered with (default poor); later changes are decisions"
        },
    )


class HouseholdQuery(Schema):
    area = Text(validate=AREA_CODE)
    status = Text(validate=validate.OneOf(STATUSES))
    poverty_status = Text(validate=validate.OneOf(list(POVERTY_STATUSES)))
    q = Text(max_length=50, metadata={"description": "户编号, 身份证号 or the start of the head's name"})
    helper_id = Text(max_length=64)
