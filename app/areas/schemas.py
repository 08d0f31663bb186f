from marshmallow import Schema, fields, validate

from app.area_codes import CODE_PATTERN
from app.areas.models import Area
from app.inputs import Text

AREA_CODE = validate.Regexp(CODE_PATTERN, error="区划代码为12位数字 12-digit area code")


class AreaOut(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String()
    parent = fields.String(allow_none=True)
    path = fields.List(fields.String())


class AreaIn(Schema):
    code = Text(required=True, validate=AREA_CODE)
    name = Text(required=True, min_length=1, fits=Area.name)


class AreaQuery(Schema):
    parent = Text(validate=AREA_CODE)
