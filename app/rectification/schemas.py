"""Rectification ledger wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.areas.schemas import AREA_CODE
from app.campaigns.models import PHASES
from app.inputs import DEADLINE, Day, Text
from app.rectification.deadlines import is_overdue, today
from app.rectification.models import SOURCES, STATUSES, Evidence, RectificationItem

ID = {"max_length": 64}

FORMATS = ("json", "csv", "xlsx")


class EvidenceOut(Schema):
    kind = fields.String(metadata={"description": "visit (复查走访) or photo (材料照片)"})
    visit_id = fields.String(allow_none=True)
    sha256 = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    content_type = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    added_by = fields.String()
    added_at = fields.DateTime()


class RectificationOut(Schema):
    id = fields.String()
    area_code = fields.Function(lambda i: i.area_path[-1] if i.area_path else None)
    area_path = fields.List(fields.String())
    household_id = fields.String()
    household_number = fields.String()
    visit_id = fields.String(allow_none=True)
    campaign_id = fields.String(allow_none=True)
    phase = fields.String(
        allow_none=True, metadata={"description": "self_check, mutual_check or rectification"}
    )
    source = fields.String()
    code = fields.String(allow_none=True)
    problem = fields.String()
    responsible_id = fields.String(allow_none=True)
    responsible = fields.String(allow_none=True)
    measure = fields.String(allow_none=True)
    deadline = fields.Date(allow_none=True)
    overdue = fields.Function(
        lambda i: is_overdue(i.deadline, i.status, today()),
        metadata={"description": "open and past its deadline (China date)"},
    )
    evidence = fields.List(fields.Nested(EvidenceOut))
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
    campaign_id = Text(**ID)
    phase = Text(validate=validate.OneOf(PHASES))
    responsible_id = Text(**ID, metadata={"description": "`me`: items you are responsible for"})
    overdue = fields.Boolean(metadata={"description": "true: only open items past their deadline"})
    format = Text(
        load_default="json",
        validate=validate.OneOf(FORMATS),
        metadata={"description": "csv or xlsx: the whole ledger (filters apply) with Chinese headers"},
    )


class VisitEvidenceIn(Schema):
    visit_id = Text(required=True, **ID, metadata={"description": "a submitted visit of the household"})
    note = Text(multiline=True, fits=Evidence.note)


class PhotoEvidenceQuery(Schema):
    note = Text(multiline=True, fits=Evidence.note)


_RESPONSIBLE = {"description": "负责人: user id or username inside your areas"}
_RESPONSIBLE_NAME = {"description": "负责人姓名, for someone without an account (used if no `responsible`)"}


_ITEM = RectificationItem


class RectificationIn(Schema):
    household_id = Text(required=True, **ID)
    visit_id = Text(load_default=None, **ID)
    problem = Text(required=True, multiline=True, min_length=1, fits=_ITEM.problem)
    measure = Text(multiline=True, fits=_ITEM.measure)
    deadline = Day(
        **DEADLINE,
        metadata={"description": "default: the campaign's rectification end, else two months (configurable)"},
    )
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
