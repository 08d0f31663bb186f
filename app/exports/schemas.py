"""Export wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.areas.schemas import AREA_CODE
from app.campaigns.models import PHASES
from app.inputs import SINCE_DAY, Day, Text
from app.visits.states import STATES

_JOB = {"description": "true: always run as a job (202); large exports run as jobs anyway"}


class VisitFilterQuery(Schema):
    area = Text(validate=AREA_CODE, metadata={"description": "default: all your areas"})
    form_id = Text(max_length=64, metadata={"description": "default: every form (one column set per form)"})
    state = Text(validate=validate.OneOf(STATES))
    since = Day(**SINCE_DAY, metadata={"description": "visits started on or after this China date"})
    until = Day(**SINCE_DAY, metadata={"description": "visits started on or before this China date"})
    campaign_id = Text(max_length=64)
    phase = Text(validate=validate.OneOf(PHASES))
    job = fields.Boolean(load_default=False, metadata=_JOB)


class VisitExportQuery(VisitFilterQuery):
    format = Text(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class ExportJobOut(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "visits or media"})
    format = fields.String()
    state = fields.String(metadata={"description": "queued, running, done or failed"})
    total = fields.Integer(metadata={"description": "visits to export"})
    done = fields.Integer(metadata={"description": "visits written so far"})
    percent = fields.Float()
    filters = fields.Dict()
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True, metadata={"description": "the file is removed after this"})
    size = fields.Integer(allow_none=True)
    status_url = fields.String()
    download_url = fields.String(
        allow_none=True, metadata={"description": "signed, works without a token until download_expires_at"}
    )
    download_expires_at = fields.Integer(allow_none=True, metadata={"description": "epoch seconds"})
