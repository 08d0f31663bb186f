"""Review wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.areas.schemas import AREA_CODE
from app.inputs import Text
from app.review.chains import ORDER
from app.review.service import DECISION_STATES, MAX_BULK
from app.samples.draw import MAX_SEED
from app.visits.schemas import VisitOut
from app.visits.states import PENDING_REVIEW

COMMENT = {"multiline": True, "max_length": 2000}
LEVEL = validate.OneOf(ORDER)


class QueueQuery(Schema):
    area = Text(validate=AREA_CODE)
    state = Text(
        validate=validate.OneOf(PENDING_REVIEW),
        metadata={"description": "default: every visit waiting for the level (and re-checks for the city)"},
    )
    level = Text(
        validate=LEVEL,
        metadata={"description": "town | county | city; default: the lowest level you sign at"},
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
    level = fields.String(allow_none=True, metadata={"description": "the review level that signed"})


class RevisionOut(Schema):
    visit_id = fields.String()
    state = fields.String()
    created_at = fields.DateTime()
    changes = fields.List(fields.Nested(StateChangeOut))


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
    review_level = fields.String(allow_none=True)
    changes = fields.List(fields.Nested(StateChangeOut))
    review = fields.Dict(allow_none=True)
    signoffs = fields.List(fields.Dict(), metadata={"description": "every sign-off, lowest level first"})
    revises = fields.String(allow_none=True)
    revised_by = fields.String(allow_none=True)
    revisions = fields.List(
        fields.Nested(RevisionOut),
        metadata={
            "description": "the sent-back visits and their corrections, oldest first, this one included"
        },
    )
    audit = fields.List(
        fields.Nested(AuditEntryOut),
        allow_none=True,
        metadata={"description": "the visit's audit trail; null unless you review or audit"},
    )


class ChainIn(Schema):
    levels = fields.List(
        Text(validate=LEVEL),
        required=True,
        validate=validate.Length(min=1, max=len(ORDER)),
        metadata={"description": "levels that sign, in order, e.g. [town, county]"},
    )
    recheck_percent = fields.Float(
        load_default=0,
        validate=validate.Range(0, 100),
        metadata={"description": "share (%) of approved visits the city re-checks"},
    )
    reason = Text(load_default=None, **COMMENT)


class ChainOut(Schema):
    area_code = fields.String()
    levels = fields.List(fields.String())
    recheck_percent = fields.Float()
    source = fields.String(metadata={"description": "the area whose chain applies, or default"})


class RecheckIn(Schema):
    area = Text(required=True, validate=AREA_CODE)
    seed = fields.Integer(required=True, validate=validate.Range(0, MAX_SEED - 1))
    percent = fields.Float(
        load_default=None,
        validate=validate.Range(min=0, max=100, min_inclusive=False),
        metadata={"description": "default: the area's chain's recheck_percent"},
    )


class RecheckOut(Schema):
    id = fields.String()
    area_code = fields.String()
    seed = fields.Integer()
    percent = fields.Float()
    candidates = fields.Integer(metadata={"description": "approved visits that could be drawn"})
    visit_ids = fields.List(fields.String())
    created_by = fields.String()
    created_at = fields.DateTime()
