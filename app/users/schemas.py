from marshmallow import Schema, fields, validate

from app.areas.schemas import AREA_CODE
from app.auth.permissions import ROLES


class UserOut(Schema):
    id = fields.String(dump_only=True)
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    area_codes = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()


class UserIn(Schema):
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.\-]{3,40}$"))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    area_codes = fields.List(
        fields.String(validate=AREA_CODE), required=True, validate=validate.Length(min=1)
    )
    display_name = fields.String(load_default="")
    phone = fields.String(load_default=None)


class UserPatch(Schema):
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=200))
    role = fields.String(validate=validate.OneOf(ROLES))
    area_codes = fields.List(fields.String(validate=AREA_CODE), validate=validate.Length(min=1))
    display_name = fields.String()
    phone = fields.String(allow_none=True)
    active = fields.Boolean()


class UserQuery(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    area = fields.String(validate=AREA_CODE)
