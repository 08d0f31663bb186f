"""What a household record accepts, in one place: used by the API schema and the table importer."""

from __future__ import annotations

from datetime import date

from app.households.idnumbers import PHONE_RE, is_valid_id
from app.households.models import (
    CATEGORIES,
    CATEGORY_LABELS,
    MAX_CAUSES,
    POVERTY_STATUSES,
    TERMINAL,
    Household,
    Member,
)
from app.inputs import TEXT_ERRORS, text_problem

# column name in an import file (Chinese or English) -> field
HOUSEHOLD_COLUMNS = {
    "户编号": "number",
    "number": "number",
    "household_number": "number",
    "村代码": "village_code",
    "区划代码": "village_code",
    "village_code": "village_code",
    "户主姓名": "head_name",
    "户主": "head_name",
    "head_name": "head_name",
    "户主身份证号": "id_number",
    "身份证号": "id_number",
    "id_number": "id_number",
    "联系电话": "phone",
    "电话": "phone",
    "phone": "phone",
    "住址": "address",
    "地址": "address",
    "address": "address",
    "纬度": "lat",
    "lat": "lat",
    "经度": "lon",
    "lon": "lon",
    "户类型": "category",
    "category": "category",
    "致贫原因": "poverty_causes",
    "poverty_causes": "poverty_causes",
    "帮扶责任人": "helper",
    "helper": "helper",
    "贫困状态": "poverty_status",
    "poverty_status": "poverty_status",
}
MEMBER_COLUMNS = {
    "成员姓名": "name",
    "姓名": "name",
    "member_name": "name",
    "与户主关系": "relation",
    "relation": "relation",
    "成员身份证号": "id_number",
    "member_id_number": "id_number",
    "出生日期": "birth_date",
    "birth_date": "birth_date",
    "劳动能力": "labour_ability",
    "labour_ability": "labour_ability",
    "健康状况": "health",
    "health": "health",
    "在校情况": "schooling",
    "schooling": "schooling",
}
REQUIRED = ("number", "village_code", "head_name")
# the stored field whose max_length a cell's text must fit (the API schema reads the same fields)
HOUSEHOLD_TEXT = {
    "number": Household.number,
    "head_name": Household.head_name,
    "address": Household.address,
    "helper": Household.helper_name,
}
MEMBER_TEXT = {
    name: getattr(Member, name) for name in ("name", "relation", "labour_ability", "health", "schooling")
}


def text_errors(cells: dict[str, str], limits: dict) -> dict[str, list[str]]:
    """Cells that are not clean text (control characters) or longer than the field that stores them."""
    errors = {}
    for name, value in cells.items():
        problem = text_problem(value)
        if problem:
            errors[name] = [TEXT_ERRORS[problem]]
        elif name in limits and limits[name].max_length and len(value) > limits[name].max_length:
            errors[name] = [
                f"最多 {limits[name].max_length} 个字符 At most {limits[name].max_length} characters"
            ]
    return errors


# The register (建档立卡) may say where a household stands; later changes go through decisions
# (app.households.poverty). Not importable: candidates (identification creates them) and those off the books.
IMPORTABLE_POVERTY = [s for s in POVERTY_STATUSES if s not in ("candidate", *TERMINAL)]
POVERTY_BY_LABEL = {POVERTY_STATUSES[s]: s for s in IMPORTABLE_POVERTY} | {s: s for s in IMPORTABLE_POVERTY}
CATEGORY_BY_LABEL = {label: code for code, label in CATEGORY_LABELS.items()} | {c: c for c in CATEGORIES}


def parse_household_cells(cells: dict[str, str]) -> tuple[dict, dict[str, list[str]]]:
    """Turn raw text cells (field -> text) into typed values and per-field errors."""
    values, errors = {}, text_errors(cells, HOUSEHOLD_TEXT)
    if errors:
        return values, errors

    def bad(name, message):
        errors.setdefault(name, []).append(message)

    for name in REQUIRED:
        if not cells.get(name):
            bad(name, "必填 Required")
    for name in ("number", "village_code", "head_name", "address", "helper"):
        if cells.get(name):
            values[name] = cells[name]
    if cells.get("id_number"):
        number = cells["id_number"].upper()
        if is_valid_id(number):
            values["id_number"] = number
        else:
            bad("id_number", "身份证号无效 Invalid ID number")
    if cells.get("phone"):
        if PHONE_RE.match(cells["phone"]):
            values["phone"] = cells["phone"]
        else:
            bad("phone", "电话号码无效 Invalid phone number")
    for name, low, high in (("lat", -90, 90), ("lon", -180, 180)):
        if cells.get(name):
            try:
                number = float(cells[name])
                if not low <= number <= high:
                    raise ValueError
                values[name] = number
            except ValueError:
                bad(name, f"应为 {low}..{high} 之间的数字 Number between {low} and {high}")
    if cells.get("category"):
        if cells["category"] in CATEGORY_BY_LABEL:
            values["category"] = CATEGORY_BY_LABEL[cells["category"]]
        else:
            bad("category", "户类型应为 有劳动能力/无劳动能力 Unknown category")
    if cells.get("poverty_status"):
        status = POVERTY_BY_LABEL.get(cells["poverty_status"].replace("(", "（").replace(")", "）"))
        if status:
            values["poverty_status"] = status
        else:
            choices = "、".join(POVERTY_STATUSES[s] for s in IMPORTABLE_POVERTY)
            bad("poverty_status", f"贫困状态应为 {choices} 之一 Unknown poverty status")
    if cells.get("poverty_causes"):
        text = cells["poverty_causes"]
        for sep in "，,;；/":
            text = text.replace(sep, "、")
        causes = [c.strip() for c in text.split("、") if c.strip()]
        limit = Household.poverty_causes.field.max_length
        if len(causes) > MAX_CAUSES or any(len(c) > limit for c in causes):
            bad("poverty_causes", f"至多 {MAX_CAUSES} 项，每项至多 {limit} 字 Too many or too long")
        values["poverty_causes"] = causes
    return values, errors


def parse_member_cells(cells: dict[str, str]) -> tuple[dict, dict[str, list[str]]]:
    values, errors = {}, text_errors(cells, MEMBER_TEXT)
    if errors:
        return values, {f"member_{name}": messages for name, messages in errors.items()}
    for name in ("name", "relation", "labour_ability", "health", "schooling"):
        if cells.get(name):
            values[name] = cells[name]
    if cells.get("id_number"):
        if is_valid_id(cells["id_number"].upper()):
            values["id_number"] = cells["id_number"].upper()
        else:
            errors["member_id_number"] = ["身份证号无效 Invalid ID number"]
    if cells.get("birth_date"):
        try:
            values["birth_date"] = date.fromisoformat(cells["birth_date"][:10].replace("/", "-"))
        except ValueError:
            errors["birth_date"] = ["日期格式应为 YYYY-MM-DD Date as YYYY-MM-DD"]
    if values and not values.get("name"):
        errors["member_name"] = ["必填 Required"]
    return values, errors
