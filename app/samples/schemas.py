"""Spot-check sample wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.areas.schemas import AREA_CODE
from app.inputs import Text
from app.samples.draw import MAX_SEED


class SampleIn(Schema):
    area = Text(required=True, validate=AREA_CODE)
    counties_per_city = fields.Integer(load_default=2, validate=validate.Range(1, 100))
    villages_per_county = fields.Integer(load_default=2, validate=validate.Range(1, 1000))
    households_per_village = fields.Integer(load_default=50, validate=validate.Range(1, 10_000))
    seed = fields.Integer(
        load_default=None,
        validate=validate.Range(0, MAX_SEED - 1),
        metadata={"description": "the same seed over the same data draws the same sample; chosen if absent"},
    )


class SampledHouseholdOut(Schema):
    household_id = fields.String()
    number = fields.String()
    head_name = fields.String()
    village_code = fields.String()
    area_path = fields.List(fields.String())


class StratumOut(Schema):
    level = fields.String(metadata={"description": "what was drawn: county, village or household"})
    code = fields.String(metadata={"description": "the area drawn within"})
    candidates = fields.Integer()
    drawn = fields.Integer()


class SampleOut(Schema):
    id = fields.String()
    area_code = fields.String()
    area_name = fields.String()
    params = fields.Dict()
    seed = fields.Integer()
    count = fields.Function(lambda s: len(s.households))
    strata = fields.List(fields.Nested(StratumOut))
    households = fields.List(fields.Nested(SampledHouseholdOut))
    created_by = fields.String()
    created_at = fields.DateTime()


class SampleSummaryOut(SampleOut):
    class Meta:
        exclude = ("households", "strata")


class SampleQuery(Schema):
    area = Text(validate=AREA_CODE)


class SampleFormat(Schema):
    format = Text(load_default="json", validate=validate.OneOf(("json", "csv", "xlsx")))
