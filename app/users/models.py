"""Users: cadres, verifiers, supervisors and admins, each with one or more area codes."""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    IntField,
    ListField,
    StringField,
)

from app.area_codes import CODE_PATTERN
from app.auth.permissions import ROLES


class AreaGrant(EmbeddedDocument):
    """A temporary extra area (e.g. the town a mutual-check team checks), in scope from start to end."""

    area_code = StringField(required=True, regex=CODE_PATTERN)
    starts_at = DateTimeField(required=True)
    ends_at = DateTimeField(required=True)
    source = StringField(required=True)  # what granted it, e.g. "campaign:<id>:team:<n>"
    reason = StringField(max_length=200)


class User(Document):
    username = StringField(required=True, unique=True, regex=r"^[A-Za-z0-9_.\-]{3,40}$")
    display_name = StringField(max_length=50)
    phone = StringField(max_length=20)
    role = StringField(required=True, choices=ROLES)
    area_codes = ListField(StringField(regex=CODE_PATTERN))
    area_paths = ListField(StringField())  # every ancestor of every area code, for scoping users
    grants = EmbeddedDocumentListField(AreaGrant)  # temporary areas; not in area_paths (who manages them)
    password_hash = StringField(required=True)
    active = BooleanField(default=True)
    token_version = IntField(default=1)  # bump to revoke every token issued so far
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)

    # strict off: users stored before login throttling moved to Redis still carry failed_logins/locked_until
    meta = {"collection": "users", "indexes": ["area_paths", "role"], "strict": False}

    @property
    def area_path(self) -> list[str]:
        return self.area_paths
