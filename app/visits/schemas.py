"""Visit wire schemas: what a phone sends, what clients get back."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from app.clock import CHINA_TZ
from app.errors import ValidationFailed
from app.visits.states import STATES


class LocationIn(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(validate=validate.Range(0, 100_000), load_default=None)


class VisitIn(Schema):
    instance_id = fields.UUID(required=True, metadata={"description": "client-generated UUID, the retry key"})
    form_id = fields.String(required=True)
    form_version = fields.Integer(required=True, validate=validate.Range(min=1))
    household_id = fields.String(required=True)
    started_at = fields.AwareDateTime(required=True, default_timezone=CHINA_TZ)
    ended_at = fields.AwareDateTime(required=True, default_timezone=CHINA_TZ)
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
    label = fields.String()
    required = fields.Boolean()
    present = fields.Boolean()
    sha256 = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    exif = fields.Dict()
    uploaded_at = fields.DateTime()
    uploaded_by = fields.String()
    url = fields.String(metadata={"description": "presigned, short-lived"})
    thumbnail_url = fields.String(allow_none=True)
    preview_url = fields.String(allow_none=True)


class VisitOut(Schema):
    id = fields.String()
    instance_id = fields.String()
    state = fields.String()
    household_id = fields.String()
    household_number = fields.String()
    area_code = fields.String()
    form_id = fields.String()
    form_version = fields.Integer()
    cadre_id = fields.String()
    cadre = fields.String()
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
    household_id = fields.String()
    area = fields.String()
    state = fields.String(validate=validate.OneOf(STATES))
    since = fields.AwareDateTime(default_timezone=CHINA_TZ)
    cadre_id = fields.String()
