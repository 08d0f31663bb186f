"""Household wire schemas. What goes out is masked first, by app.households.presenter."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

from app.areas.schemas import AREA_CODE
from app.households.idnumbers import PHONE_RE, is_valid_id
from app.households.models import CATEGORIES, NEEDS, POVERTY_STATUSES, STATUSES

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
    relation = fields.String()
    id_number = fields.String(metadata={"description": "masked unless the role may see it"})
    birth_date = fields.Date()
    labour_ability = fields.String()
    health = fields.String()
    schooling = fields.String()


class HouseholdOut(Schema):
    id = fields.String()
    number = fields.String()
    village_code = fields.String()
    area_path = fields.List(fields.String())
    head_name = fields.String()
    id_number = fields.String(metadata={"description": "masked unless the role may see it"})
    phone = fields.String(metadata={"description": "masked unless the role may see it"})
    address = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    category = fields.String()
    poverty_causes = fields.List(fields.String())
    helper_id = fields.String()
    helper_name = fields.String()
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
    latest_visit_id = fields.String()
    verified_visit_id = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class MemberIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    relation = fields.String(validate=validate.Length(max=20))
    id_number = fields.String()
    birth_date = fields.Date()
    labour_ability = fields.String()
    health = fields.String()
    schooling = fields.String()

    @validates("id_number")
    def _id(self, value, **_):
        if value and not is_valid_id(value):
            raise ValidationError("身份证号无效 Invalid ID number")


class HouseholdPatch(Schema):
    village_code = fields.String(validate=AREA_CODE)
    head_name = fields.String(validate=validate.Length(min=1, max=50))
    id_number = fields.String()
    phone = fields.String(validate=validate.Regexp(PHONE_RE, error="电话号码无效 Invalid phone number"))
    address = fields.String(validate=validate.Length(max=200))
    lat = fields.Float(validate=validate.Range(-90, 90))
    lon = fields.Float(validate=validate.Range(-180, 180))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    poverty_causes = fields.List(fields.String())
    helper = fields.String(metadata={"description": "cadre username or user id"})
    members = fields.List(fields.Nested(MemberIn))

    @validates("id_number")
    def _id(self, value, **_):
        if value and not is_valid_id(value):
            raise ValidationError("身份证号无效 Invalid ID number")


class HouseholdIn(HouseholdPatch):
    number = fields.String(required=True, validate=validate.Length(min=1, max=40))
    village_code = fields.String(required=True, validate=AREA_CODE)
    head_name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    poverty_status = fields.String(
        validate=validate.OneOf(INITIAL_POVERTY),
        metadata={
            "description": "the status it is registered with (default poor); later changes are decisions"
        },
    )


class HouseholdQuery(Schema):
    area = fields.String(validate=AREA_CODE)
    status = fields.String(validate=validate.OneOf(STATUSES))
    poverty_status = fields.String(validate=validate.OneOf(list(POVERTY_STATUSES)))
    q = fields.String(metadata={"description": "户编号, 身份证号 or the start of the head's name"})
    helper_id = fields.String()
