"""Visit wire schemas: what a phone sends, what clients get back."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from app.areas.schemas import AREA_CODE
from app.errors import ValidationFailed
from app.inputs import SINCE, VISIT_TIME, Moment, Text
from app.visits.states import STATES

ID = {"max_length": 64}


class LocationIn(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(validate=validate.Range(0, 100_000), load_default=None)


class VisitIn(Schema):
    instance_id = fields.UUID(required=True, metadata={"description": "client-generated UUID, the retry key"})
    form_id = Text(required=True, **ID)
    form_version = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))
    household_id = Text(required=True, **ID)
    started_at = Moment(
        required=True, **VISIT_TIME, metadata={"description": "within the last year; no offset: China time"}
    )
    ended_at = Moment(required=True, **VISIT_TIME)
    location = fields.Nested(LocationIn, load_default=None)
    answers = fields.Dict(required=True)
    # no load_default: a submission without it keeps the content digest it had before the field existed
    revises = fields.String(
        metadata={"description": "the sent-back visit (revisit_requested) this revisit corrects"}
    )


def load_visit(raw: object) -> dict:
    """A visit as phones send it (JSON, or mapped from an OpenRosa instance), checked and typed."""
    try:
        data = VisitIn().load(raw)
    except ValidationError as err:
        raise ValidationFailed(errors=err.messages) from err
    return data | {"instance_id": str(data["instance_id"])}


class AttachmentOut(Schema):
    slot = fields.String()
    kind = fields.String()
    label = fields.String(allow_none=True)
    required = fields.Boolean()
    present = fields.Boolean()
    sha256 = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    content_type = fields.String(allow_none=True)
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    exif = fields.Dict()
    uploaded_at = fields.DateTime(allow_none=True)
    uploaded_by = fields.String(allow_none=True)
    url = fields.String(allow_none=True, metadata={"description": "presigned, short-lived"})
    thumbnail_url = fields.String(allow_none=True)
    preview_url = fields.String(allow_none=True)


class VisitOut(Schema):
    id = fields.String()
    instance_id = fields.String()
    state = fields.String()
    household_id = fields.String()
    household_number = fields.String(allow_none=True)
    area_code = fields.String(allow_none=True)
    form_id = fields.String()
    form_version = fields.Integer()
    cadre_id = fields.String()
    cadre = fields.String(allow_none=True)
    started_at = fields.DateTime()
    ended_at = fields.DateTime()
    location = fields.Dict()
    answers = fields.Dict()
    attachments = fields.List(fields.Nested(AttachmentOut))
    missing = fields.List(fields.String())
    checks = fields.List(fields.Dict())
    assessment = fields.Dict()
    review = fields.Dict(metadata={"description": "the latest sign-off"})
    signoffs = fields.List(
        fields.Dict(),
        metadata={"description": "every sign-off up the chain: level, decision, who, when, why"},
    )
    review_level = fields.String(
        allow_none=True, metadata={"description": "the level whose sign-off the visit waits for"}
    )
    recheck = fields.Dict(allow_none=True, metadata={"description": "a city re-check draw, when drawn"})
    revises = fields.String(allow_none=True)
    revised_by = fields.String(allow_none=True)
    campaign = fields.Dict(
        allow_none=True,
        metadata={"description": "{id, phase, team}: the campaign, phase and mutual-check team, if any"},
    )
    created_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    checked_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()


class VisitQuery(Schema):
    household_id = Text(**ID)
    area = Text(validate=AREA_CODE)
    state = Text(validate=validate.OneOf(STATES))
    since = Moment(**SINCE)
    cadre_id = Text(**ID)
