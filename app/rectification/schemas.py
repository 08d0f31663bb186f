"""Rectification ledger wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.areas.schemas import AREA_CODE
from app.inputs import DEADLINE, Day, Text
from app.rectification.models import SOURCES, STATUSES, RectificationItem

ID = {"max_length": 64}


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
    area = Text(validate=AREA_CODE)
    status = Text(validate=validate.OneOf(STATUSES))
    source = Text(validate=validate.OneOf(SOURCES))
    household_id = Text(**ID)
    visit_id = Text(**ID)


_RESPONSIBLE = {"description": "负责人: user id or username inside your areas"}
_RESPONSIBLE_NAME = {"description": "负责人姓名, for someone without an account (used if no `responsible`)"}


_ITEM = RectificationItem


class RectificationIn(Schema):
    household_id = Text(required=True, **ID)
    visit_id = Text(load_default=None, **ID)
    problem = Text(required=True, multiline=True, min_length=1, fits=_ITEM.problem)
    measure = Text(multiline=True, fits=_ITEM.measure)
    deadline = Day(**DEADLINE)
    responsible = Text(max_length=100, metadata=_RESPONSIBLE)
    responsible_name = Text(min_length=1, fits=_ITEM.responsible, metadata=_RESPONSIBLE_NAME)


class RectificationPatch(Schema):
    measure = Text(multiline=True, fits=_ITEM.measure)
    deadline = Day(allow_none=True, **DEADLINE)
    responsible = Text(max_length=100, metadata=_RESPONSIBLE)
    responsible_name = Text(min_length=1, fits=_ITEM.responsible, metadata=_RESPONSIBLE_NAME)
    status = Text(
        validate=validate.OneOf(["closed"]), metadata={"description": "`closed` closes the item (销号)"}
    )
    close_note = Text(multiline=True, fits=_ITEM.close_note, metadata={"description": "required to close"})
