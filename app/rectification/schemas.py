"""Rectification ledger wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.areas.schemas import AREA_CODE
from app.rectification.models import SOURCES, STATUSES


class RectificationOut(Schema):
    id = fields.String()
    area_code = fields.Function(lambda i: i.area_path[-1] if i.area_path else None)
    area_path = fields.List(fields.String())
    household_id = fields.String()
    household_number = fields.String()
    visit_id = fields.String(allow_none=True)
    source = fields.String()
    code = fields.String(allow_none=True)
    problem = fields.String()
    responsible_id = fields.String(allow_none=True)
    responsible = fields.String(allow_none=True)
    measure = fields.String(allow_none=True)
    deadline = fields.Date(allow_none=True)
    status = fields.String()
    close_note = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class RectificationQuery(Schema):
    area = fields.String(validate=AREA_CODE)
    status = fields.String(validate=validate.OneOf(STATUSES))
    source = fields.String(validate=validate.OneOf(SOURCES))
    household_id = fields.String()
    visit_id = fields.String()


_RESPONSIBLE = {"description": "负责人: user id or username inside your areas"}
_RESPONSIBLE_NAME = {"description": "负责人姓名, for someone without an account (used if no `responsible`)"}


class RectificationIn(Schema):
    household_id = fields.String(required=True)
    visit_id = fields.String(load_default=None)
    problem = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    measure = fields.String(validate=validate.Length(max=2000))
    deadline = fields.Date()
    responsible = fields.String(metadata=_RESPONSIBLE)
    responsible_name = fields.String(validate=validate.Length(min=1, max=50), metadata=_RESPONSIBLE_NAME)


class RectificationPatch(Schema):
    measure = fields.String(validate=validate.Length(max=2000))
    deadline = fields.Date(allow_none=True)
    responsible = fields.String(metadata=_RESPONSIBLE)
    responsible_name = fields.String(validate=validate.Length(min=1, max=50), metadata=_RESPONSIBLE_NAME)
    status = fields.String(
        validate=validate.OneOf(["closed"]), metadata={"description": "`closed` closes the item (销号)"}
    )
    close_note = fields.String(
        validate=validate.Length(max=2000), metadata={"description": "required to close"}
    )
