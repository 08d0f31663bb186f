from marshmallow import Schema, fields

from app.users.schemas import AREA_CODE


class AreaOut(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String()
    parent = fields.String(allow_none=True)
    path = fields.List(fields.String())


class AreaIn(Schema):
    code = fields.String(required=True, validate=AREA_CODE)
    name = fields.String(required=True)


class AreaQuery(Schema):
    parent = fields.String(validate=AREA_CODE)
