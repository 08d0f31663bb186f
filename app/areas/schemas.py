from marshmallow import Schema, fields, validate

from app.areas.codes import CODE_PATTERN

AREA_CODE = validate.Regexp(CODE_PATTERN, error="区划代码为12位数字 12-digit area code")


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
