from marshmallow import Schema, fields, validate

from app.areas.schemas import AREA_CODE
from app.auth.permissions import ROLES
from app.inputs import Text
from app.users.models import User

MAX_AREAS = 50


class UserOut(Schema):
    id = fields.String(dump_only=True)
    username = fields.String()
    display_name = fields.String(allow_none=True)
    role = fields.String()
    area_codes = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()


class UserIn(Schema):
    username = Text(required=True, validate=validate.Regexp(User.username.regex))
    password = Text(required=True, load_only=True, min_length=8, max_length=200)
    role = Text(required=True, validate=validate.OneOf(ROLES))
    area_codes = fields.List(
        Text(validate=AREA_CODE), required=True, validate=validate.Length(min=1, max=MAX_AREAS)
    )
    display_name = Text(load_default="", fits=User.display_name)
    phone = Text(load_default=None, fits=User.phone)


class UserPatch(Schema):
    password = Text(load_only=True, min_length=8, max_length=200)
    role = Text(validate=validate.OneOf(ROLES))
    area_codes = fields.List(Text(validate=AREA_CODE), validate=validate.Length(min=1, max=MAX_AREAS))
    display_name = Text(fits=User.display_name)
    phone = Text(allow_none=True, fits=User.phone)
    active = fields.Boolean()


class UserQuery(Schema):
    role = Text(validate=validate.OneOf(ROLES))
    area = Text(validate=AREA_CODE)
