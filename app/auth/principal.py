"""The caller, as domain code sees it: role, areas, origin. No Flask here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from mongoengine import Q

from app.auth.permissions import allowed
from app.errors import Forbidden, NotFound


@dataclass(frozen=True)
class Principal:
    user_id: str
    username: str
    role: str
    area_codes: tuple[str, ...]
    ip: str | None = None
    user_agent: str | None = None
    display_name: str = field(default="", compare=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can(self, permission: str) -> bool:
        return allowed(self.role, permission)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise Forbidden(permission=permission)

    def covers(self, area_path: Iterable[str]) -> bool:
        """True when an object whose ancestor path is `area_path` lies in one of the caller's subtrees."""
        return self.is_admin or bool(set(self.area_codes) & set(area_path))

    def scope(self, field_name: str = "area_path") -> Q:
        """A query restricting `field_name` (an indexed list of ancestor codes) to the caller's subtrees."""
        if self.is_admin:
            return Q()
        if len(self.area_codes) == 1:  # the usual case; an equality lets every server use the index
            return Q(**{field_name: self.area_codes[0]})
        return Q(**{f"{field_name}__in": list(self.area_codes)})

    def check_visible(self, obj, area_path: Iterable[str] | None = None):
        """Return `obj` if the caller may see it; another area's object is reported as missing (404)."""
        if obj is None or not self.covers(area_path if area_path is not None else obj.area_path):
            raise NotFound()
        return obj


SYSTEM = Principal(user_id="system", username="system", role="admin", area_codes=())
