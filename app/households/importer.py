"""Import households from CSV/XLSX: validate every row first, then write; re-importing changes nothing.

A file has one row per household, or one row per member with the household columns repeated.
Errors come back by row number and column, and nothing is written while any row is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import BinaryIO

from pymongo import UpdateOne

from app.areas.models import Area
from app.audit import service as audit
from app.auth.principal import Principal
from app.clock import now
from app.digests import json_digest
from app.errors import ImportFailed
from app.households.fields import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS, parse_household_cells, parse_member_cells
from app.households.models import Household
from app.households.tally import HOUSEHOLDS
from app.spreadsheets.reading import read_rows
from app.tallies.settle import finish, new_op, settle, stamp_new
from app.users.models import User

BATCH = 1000


def import_households(
    principal: Principal, stream: BinaryIO, filename: str, progress: Callable[[int], None] | None = None
) -> dict:
    principal.require("households.write")
    headers, rows = read_rows(stream, filename)
    columns = {
        h: HOUSEHOLD_COLUMNS.get(h.strip()) or HOUSEHOLD_COLUMNS.get(h.strip().lower()) for h in headers
    }
    member_columns = {
        h: MEMBER_COLUMNS.get(h.strip()) or MEMBER_COLUMNS.get(h.strip().lower()) for h in headers
    }
    missing = [f for f in ("number", "village_code", "head_name") if f not in columns.values()]
    if missing:
        raise ImportFailed("缺少必需的列 Required columns missing", missing_columns=missing, headers=headers)

    households, errors, first_row = {}, {}, {}
    for number, row in rows:
        cells = {field: row[h] for h, field in columns.items() if field}
        values, row_errors = parse_household_cells(cells)
        member, member_errors = parse_member_cells({f: row[h] for h, f in member_columns.items() if f})
        row_errors |= member_errors
        key = values.get("number")
        if key and key in households and not row_errors:
            known = {k: v for k, v in households[key].items() if k != "members"}
            if {k: v for k, v in values.items()} != known:
                row_errors["number"] = [
                    f"与第 {first_row[key]} 行的户信息不一致 Differs from row {first_row[key]}"
                ]
        if row_errors:
            errors[str(number)] = row_errors
        elif key:
            households.setdefault(key, {**values, "members": []})
            first_row.setdefault(key, number)
            if member:
                households[key]["members"].append(member)
        if progress:
            progress(1)

    villages = _check_references(principal, households, first_row, errors)
    if errors:
        raise ImportFailed(errors=errors, rows_with_errors=len(errors))
    result = _write(principal, households, villages)
    audit.record(
        principal, "household.import", "household", None, _common_path(villages), filename=filename, **result
    )
    return result


def _check_references(principal, households, first_row, errors) -> dict[str, list[str]]:
    codes = {h["village_code"] for h in households.values()}
    villages = {a.code: a.path for a in Area.objects(code__in=list(codes), level__in=["village", "hamlet"])}
    helpers = {h["helper"] for h in households.values() if h.get("helper")}
    cadres = {u.username: u for u in User.objects(username__in=list(helpers), role="cadre")}
    for key, h in households.items():
        row = str(first_row[key])
        path = villages.get(h["village_code"])
        if path is None:
            errors.setdefault(row, {})["village_code"] = ["村不存在 Unknown village"]
        elif not principal.covers(path):
            errors.setdefault(row, {})["village_code"] = ["村不在您的管辖范围 Village outside your areas"]
        helper = cadres.get(h.get("helper")) if h.get("helper") else None
        if h.get("helper") and (helper is None or not principal.covers(helper.area_paths)):
            errors.setdefault(row, {})["helper"] = ["帮扶责任人不存在 Unknown cadre username"]
        elif helper:
            h["helper_id"], h["helper_name"] = str(helper.id), helper.display_name or helper.username
    return villages


def _write(principal: Principal, households: dict, villages: dict) -> dict:
    created = updated = unchanged = 0
    keys = list(households)
    collection = Household._get_collection()
    for start in range(0, len(keys), BATCH):
        batch = keys[start : start + BATCH]
        known = {
            d["number"]: d.get("import_digest")
            for d in collection.find({"number": {"$in": batch}}, {"number": 1, "import_digest": 1})
        }
        inserts, updates, stamp, op = [], [], now(), new_op(HOUSEHOLDS)
        for key in batch:
            values = households[key]
            digest = json_digest(values)
            if known.get(key) == digest:
                unchanged += 1
                continue
            # the poverty status sets where a new household starts; after that only decisions change it
            doc = {k: v for k, v in values.items() if k not in ("helper", "poverty_status")}
            doc["members"] = [_member_doc(m) for m in values["members"]]
            doc |= {
                "area_path": villages[values["village_code"]],
                "import_digest": digest,
                "updated_at": stamp,
            }
            if key in known:
                updates.append(UpdateOne({"number": key}, {"$set": doc, "$inc": {"version": 1}}))
            else:
                poverty = values.get("poverty_status", "poor")  # the register lists poor households
                new = {"created_at": stamp, "status": "registered", "poverty_status": poverty, "version": 1}
                inserts.append(stamp_new(HOUSEHOLDS, doc | new, op))
        # New households in one insert_many (the unique index on number refuses a concurrent twin);
        # changed ones as updates. A crash midway leaves whole households, and re-running completes it.
        if inserts:
            collection.insert_many(inserts, ordered=False)
        if updates:
            collection.bulk_write(updates, ordered=False)
        if inserts:
            finish(HOUSEHOLDS, op, inserts)  # their tallies were claimed in the insert itself
        if updates:
            changed = [u._filter["number"] for u in updates]
            settle(HOUSEHOLDS, collection.distinct("_id", {"number": {"$in": changed}}))
        created += len(inserts)
        updated += len(updates)
    return {"households": len(keys), "created": created, "updated": updated, "unchanged": unchanged}


def _member_doc(member: dict) -> dict:
    doc = dict(member)
    if doc.get("birth_date"):
        born = doc["birth_date"]
        doc["birth_date"] = datetime(born.year, born.month, born.day)
    return doc


def _common_path(villages: dict) -> list[str]:
    paths = list(villages.values())
    if not paths:
        return []
    common = paths[0]
    for path in paths[1:]:
        common = [a for a, b in zip(common, path, strict=False) if a == b]
    return common
