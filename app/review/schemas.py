"""Review wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.areas.schemas import AREA_CODE
from app.inputs import Text
from app.review.service import DECISION_STATES, MAX_BULK
from app.visits.schemas import VisitOut
from app.visits.states import REVIEWABLE

COMMENT = {"multiline": True, "max_length": 2000}


class QueueQuery(Schema):
    area = Text(validate=AREA_CODE)
    state = Text(
        validate=validate.OneOf(REVIEWABLE), metadata={"description": "default: checked and has_issues"}
    )


class PhotoSummary(Schema):
    slot = fields.String()
    label = fields.String(allow_none=True)
    thumbnail_url = fields.String(allow_none=True)
    preview_url = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    exif = fields.Dict(metadata={"description": "taken_at, gps {lat, lon, alt}, device, orientation"})


class QueueSummary(Schema):
    failed_checks = fields.List(fields.String(), metadata={"description": "codes of failed blocking checks"})
    warnings = fields.List(fields.String(), metadata={"description": "codes of failed non-blocking checks"})
    photos = fields.List(fields.Nested(PhotoSummary))


class QueueItemOut(VisitOut):
    summary = fields.Nested(QueueSummary)


class ReviewIn(Schema):
    decision = Text(required=True, validate=validate.OneOf(list(DECISION_STATES)))
    comment = Text(load_default=None, **COMMENT)
    slot_comments = fields.Dict(
        keys=Text(max_length=100),
        values=Text(multiline=True, max_length=500),
        validate=validate.Length(max=50),
        load_default=dict,
        metadata={"description": 'per attachment slot, e.g. {"photo.stove": "照片模糊"}'},
    )


class BulkApproveIn(Schema):
    visit_ids = fields.List(Text(max_length=64), required=True, validate=validate.Length(min=1, max=MAX_BULK))
    comment = Text(load_default=None, **COMMENT)


class ItemError(Schema):
    code = fields.Integer()
    reason = fields.String()
    message = fields.String()


class BulkResultOut(Schema):
    visit_id = fields.String()
    ok = fields.Boolean()
    state = fields.String()
    error = fields.Nested(ItemError)


class StateChangeOut(Schema):
    at = fields.DateTime()
    state = fields.String()
    actor = fields.String(allow_none=True)
    actor_id = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class AuditEntryOut(Schema):
    at = fields.DateTime()
    action = fields.String()
    actor = fields.String()
    role = fields.String()
    details = fields.Dict()


class HistoryOut(Schema):
    visit_id = fields.String()
    household_id = fields.String()
    state = fields.String()
    changes = fields.List(fields.Nested(StateChangeOut))
    review = fields.Dict(allow_none=True)
    audit = fields.List(
        fields.Nested(AuditEntryOut),
        allow_none=True,
        metadata={"description": "the visit's audit trail; null unless you review or audit"},
    )
