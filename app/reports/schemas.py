"""Report wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.areas.schemas import AREA_CODE
from app.inputs import Text
from app.reports.lifecycle import EVENT_FIGURES, STATUS_FIGURES
from app.reports.verification import INDICATORS

FORMATS = ("json", "csv", "xlsx")
_RATE = {"description": "percent, one decimal; null when nothing to divide by"}


class ReportQuery(Schema):
    area = Text(validate=AREA_CODE, metadata={"description": "default: your only area"})
    format = Text(load_default="json", validate=validate.OneOf(FORMATS))
    year = fields.Integer(
        validate=validate.Range(2000, 2100),
        metadata={"description": "the year whose lifecycle changes are counted; default: this year"},
    )


class LifecycleFigures(Schema):
    """Households by poverty status now, and this year's changes (see app/reports/lifecycle.py)."""

    class Meta:
        include = {
            **{
                status: fields.Integer(metadata={"description": label})
                for status, label in STATUS_FIGURES.items()
            },
            "monitored": fields.Integer(metadata={"description": "监测对象: the three monitored types"}),
            **{
                f"{event}_this_year": fields.Integer(metadata={"description": label})
                for event, label in EVENT_FIGURES.items()
            },
        }


class ReportRow(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String()
    households = fields.Integer()
    visited = fields.Integer()
    coverage = fields.Float(allow_none=True, metadata=_RATE)
    pending_review = fields.Integer()
    approved = fields.Integer()
    sent_back = fields.Integer()
    assessed = fields.Integer(metadata={"description": "households with a latest assessment"})
    pass_rates = fields.Dict(
        keys=fields.String(validate=validate.OneOf(list(INDICATORS))),
        values=fields.Float(allow_none=True),
        metadata=_RATE,
    )
    below_income_threshold = fields.Integer()
    satisfaction_responses = fields.Integer()
    satisfaction_rate = fields.Float(allow_none=True, metadata=_RATE)
    problems_open = fields.Integer()
    problems_closed = fields.Integer()
    with_helper = fields.Integer()
    helpers_in_place = fields.Float(allow_none=True, metadata=_RATE)
    lifecycle = fields.Nested(LifecycleFigures)
    problems_overdue = fields.Integer(metadata={"description": "open ledger items past their deadline"})
    verified = fields.Integer(metadata={"description": "households with an approved, assessed visit"})
    misidentified = fields.Integer(metadata={"description": "错评: verified, record did not match"})
    identification_accuracy = fields.Float(allow_none=True, metadata=_RATE | {"description": "识别准确率"})
    exit_verified = fields.Integer(metadata={"description": "exited households with an approved visit"})
    wrongly_exited = fields.Integer(metadata={"description": "错退: exited, exit standard not met"})
    exit_accuracy = fields.Float(allow_none=True, metadata=_RATE | {"description": "退出准确率"})


class ReportColumn(Schema):
    key = fields.String()
    label = fields.String()
    kind = fields.String()


class VerificationReportOut(Schema):
    area = fields.Dict()
    year = fields.Integer()
    generated_at = fields.DateTime()
    generated_by = fields.String()
    columns = fields.List(fields.Nested(ReportColumn))
    rows = fields.List(fields.Nested(ReportRow))
    total = fields.Nested(ReportRow)
