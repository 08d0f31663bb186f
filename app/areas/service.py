"""Areas: create, read within the caller's subtrees, load a tree from a table."""

from __future__ import annotations

from typing import BinaryIO

from mongoengine import NotUniqueError

from app.area_codes import LEVELS, ancestors, is_valid, level_of, parent_of
from app.areas.models import Area
from app.audit import service as audit
from app.auth.principal import Principal
from app.errors import Conflict, ImportFailed, NotFound, ValidationFailed
from app.spreadsheets.reading import read_rows

CODE_HEADERS = ("code", "区划代码", "代码", "编码")
NAME_HEADERS = ("name", "名称", "区划名称")


def visible_to(principal: Principal, area: Area) -> bool:
    """Callers see their own subtrees and the ancestors of their areas (to navigate down to them)."""
    if principal.covers(area.path):
        return True
    return any(area.code in ancestors(code) for code in principal.area_codes)


def get_area(principal: Principal, code: str) -> Area:
    principal.require("areas.read")
    area = Area.objects(code=code).first()
    if area is None or not visible_to(principal, area):
        raise NotFound(f"区划 {code} 不存在 Area not found")
    return area


def area_in_scope(principal: Principal, code: str) -> Area:
    """An area inside the caller's subtrees (to report on, sample, export); any other is reported missing."""
    area = Area.objects(code=code).first()
    if area is None or not principal.covers(area.path):
        raise NotFound(f"区划 {code} 不存在 Area not found")
    return area


def list_areas(principal: Principal, parent: str | None = None):
    principal.require("areas.read")
    if parent:
        parent_area = get_area(principal, parent)
        query = Area.objects.children_of(parent_area.code)
    else:
        roots = {"admin": None}.get(principal.role, list(principal.area_codes))
        query = Area.objects(depth=0) if roots is None else Area.objects(code__in=roots)
    return [a for a in query.order_by("code") if visible_to(principal, a)]


def areas_within(principal: Principal, level: str, limit: int = 2000) -> list[Area]:
    """Areas of one level inside the caller's subtrees, by code (e.g. the villages of a verifier's towns)."""
    principal.require("areas.read")
    query = Area.objects(level=level)
    if not principal.is_admin:
        query = query.filter(path__in=list(principal.area_codes))
    return list(query.order_by("code").limit(limit))


def breadcrumbs(principal: Principal, area: Area) -> list[Area]:
    """The area's ancestors the caller may navigate, root first, then the area itself."""
    ancestors_ = {a.code: a for a in Area.objects(code__in=area.path[:-1])}
    return [
        ancestors_[c] for c in area.path[:-1] if c in ancestors_ and principal.covers(ancestors_[c].path)
    ] + [area]


def build_area(code: str, name: str) -> Area:
    if not is_valid(code):
        raise ValidationFailed(errors={"code": [f"不是有效的区划代码 Not a valid area code: {code}"]})
    level = level_of(code)
    return Area(
        code=code,
        name=name,
        level=level,
        depth=LEVELS.index(level),
        parent=parent_of(code),
        path=ancestors(code),
    )


def create_area(principal: Principal, code: str, name: str) -> Area:
    principal.require("areas.write")
    area = build_area(code, name)
    if area.parent and not Area.objects(code=area.parent).first():
        raise ValidationFailed(errors={"code": [f"上级区划 {area.parent} 不存在 Parent area missing"]})
    try:
        area.save()
    except NotUniqueError as err:
        raise Conflict(f"区划 {code} 已存在 Area exists", code=code) from err
    audit.record(principal, "area.create", "area", code, area.path, name=name)
    return area


def load_areas(principal: Principal, stream: BinaryIO, filename: str) -> dict:
    """Load an area table (code, name). Parents may come in any order; existing codes are updated."""
    principal.require("areas.write")
    headers, rows = read_rows(stream, filename)
    code_h = next((h for h in headers if h.lower() in CODE_HEADERS), None)
    name_h = next((h for h in headers if h.lower() in NAME_HEADERS), None)
    if not code_h or not name_h:
        raise ImportFailed("需要列: 区划代码, 名称 Columns code and name are required", headers=headers)
    areas, errors = {}, {}
    for number, row in rows:
        try:
            areas[row[code_h]] = build_area(row[code_h], row[name_h])
        except ValidationFailed as err:
            errors[str(number)] = err.details["errors"]
    known = set(areas) | set(
        Area.objects(code__in=[a.parent for a in areas.values() if a.parent]).distinct("code")
    )
    for code, area in areas.items():
        if area.parent and area.parent not in known:
            errors.setdefault(code, {})["parent"] = [f"上级区划 {area.parent} 不存在 Parent area missing"]
    if errors:
        raise ImportFailed(errors=errors)
    created = updated = 0
    for area in sorted(areas.values(), key=lambda a: a.depth):
        result = Area.objects(code=area.code).update_one(
            set__name=area.name,
            set__level=area.level,
            set__depth=area.depth,
            set__parent=area.parent,
            set__path=area.path,
            upsert=True,
            full_result=True,
        )
        if result.upserted_id is not None:
            created += 1
        elif result.modified_count:
            updated += 1
    audit.record(
        principal, "area.import", "area", None, [], filename=filename, created=created, updated=updated
    )
    return {"created": created, "updated": updated, "rows": len(areas)}
