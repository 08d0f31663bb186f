"""Our YAML form definitions as ODK XForms, compiled by pyxform (the XLSForm compiler ODK itself uses)
from an XLSForm-shaped dict of sheets: no XForm XML is written by hand here.

What the phone gets besides the form's own fields: `start`, `end`, `deviceid`, an `audit` log with
location tracking, the household picked from the per-user list `households.csv` (`select_one_from_file`)
and the visit's `location` (a geopoint with an accuracy threshold). Photo and signature fields become
`image` questions (photos shrunk on the phone by `max-pixels`, signatures drawn on screen); evidence slots
that no field shows (the optional letters) get an image question of their own at the end.

Field names, groups and repeats keep our names, so an instance's element paths are our answer paths.
The version string is our version number plus a hash of the generated XForm: it changes whenever the
generated XML changes, which is what tells Collect to download the form again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pyxform.xls2xform import convert

from app.forms.fields import Field, walk
from app.forms.version import FormVersion

HOUSEHOLD_LIST = "households.csv"
ZH, EN = "中文 (zh)", "English (en)"
# Names the generated XForm adds at the top level of the instance; a form may not use them itself.
RESERVED = frozenset({"start", "end", "deviceid", "household", "location", "meta"})
PHOTO_MAX_PIXELS = 2048  # longest side after the phone shrinks a photo (slots need at least 640x480)
CAPTURE_ACCURACY_M = 20  # Collect accepts a location fix automatically once it is this accurate
WARNING_ACCURACY_M = 50  # and warns the cadre when the fix is worse than this
AUDIT_PARAMETERS = "location-priority=balanced location-min-interval=30 location-max-age=60"
BOOLEAN_LIST = "yes_no"


@dataclass(frozen=True)
class XForm:
    """One generated XForm: what formList, form download and submission parsing need to know."""

    form_id: str
    version: int  # our form version
    version_string: str  # the XForm's `version` attribute: "<version>-<hash of the XForm>"
    title: str
    xml: bytes
    md5: str
    image_fields: Mapping[str, str]  # instance path of each image question -> evidence slot
    media: tuple[str, ...] = (HOUSEHOLD_LIST,)


class XFormBuildError(ValueError):
    """A form definition that cannot become an XForm (a reserved name, or pyxform refused it)."""


@lru_cache(maxsize=64)
def xform_for(form: FormVersion) -> XForm:
    """The XForm of a published form version, built once per process (forms are immutable once published)."""
    return build_xform(form)


def build_xform(form: FormVersion) -> XForm:
    """Compile `form` with pyxform; the version string hashes the XForm built without it."""
    clash = sorted(RESERVED & {f.name for f in form.fields})
    if clash:
        raise XFormBuildError(f"{form.key}: field names reserved for the XForm: {', '.join(clash)}")
    sheets, image_fields = xlsform(form)
    unversioned = _compile(form, sheets, version="0")
    version_string = f"{form.version}-{hashlib.sha256(unversioned).hexdigest()[:10]}"
    xml = _compile(form, sheets, version=version_string)
    return XForm(
        form_id=form.form_id,
        version=form.version,
        version_string=version_string,
        title=form.title.zh,
        xml=xml,
        md5=hashlib.md5(xml, usedforsecurity=False).hexdigest(),
        image_fields=image_fields,
    )


def _compile(form: FormVersion, sheets: dict[str, list[dict]], version: str) -> bytes:
    settings = [
        {
            "form_id": form.form_id,
            "form_title": form.title.zh,
            "version": version,
            "default_language": ZH,
        }
    ]
    warnings: list[str] = []
    try:
        result = convert({**sheets, "settings": settings}, warnings=warnings, form_name=form.form_id)
    except Exception as err:  # pyxform raises several unrelated types: name the form and re-raise
        raise XFormBuildError(f"{form.key}: pyxform could not build the XForm: {err}") from err
    return result.xform.encode("utf-8")


def xlsform(form: FormVersion) -> tuple[dict[str, list[dict]], dict[str, str]]:
    """The form as XLSForm sheets (survey, choices) and the image question -> slot map."""
    builder = _Sheets(form)
    builder.metadata()
    builder.fields(form.fields)
    builder.loose_slots()
    return {"survey": builder.survey, "choices": builder.choices}, builder.image_fields


def _labels(column: str, zh: str, en: str) -> dict[str, str]:
    return {f"{column}::{ZH}": zh, f"{column}::{EN}": en}


class _Sheets:
    """Accumulates survey and choices rows in the order the phone shows them."""

    def __init__(self, form: FormVersion):
        self.form = form
        self.root = form.form_id
        self.by_path = {f.path: f for f in walk(form.fields)}
        self.survey: list[dict[str, Any]] = []
        self.choices: list[dict[str, Any]] = [
            {"list_name": BOOLEAN_LIST, "name": "true", **_labels("label", "是", "Yes")},
            {"list_name": BOOLEAN_LIST, "name": "false", **_labels("label", "否", "No")},
        ]
        self.image_fields: dict[str, str] = {}

    def metadata(self) -> None:
        self.survey += [
            {"type": "start", "name": "start"},
            {"type": "end", "name": "end"},
            {"type": "deviceid", "name": "deviceid"},
            {"type": "audit", "name": "audit", "parameters": AUDIT_PARAMETERS},
            {
                "type": f"select_one_from_file {HOUSEHOLD_LIST}",
                "name": "household",
                "required": "yes",
                "appearance": "autocomplete",
                **_labels("label", "走访农户（户编号 户主 组）", "Household visited (number, head, group)"),
                **_labels("hint", "输入户编号或户主姓名查找", "Type the number or the head's name to search"),
                **_labels("required_message", "必填", "Required"),
            },
            {
                "type": "geopoint",
                "name": "location",
                "required": "yes",
                "parameters": f"capture-accuracy={CAPTURE_ACCURACY_M} warning-accuracy={WARNING_ACCURACY_M}",
                **_labels("label", "在农户门前定位", "Record the location at the household's door"),
                **_labels("required_message", "必填", "Required"),
            },
        ]

    def fields(self, fields: tuple[Field, ...]) -> None:
        for field in fields:
            row = self._row(field)
            count = self._count_question(field) if field.type == "repeat" else None
            if count:
                self.survey.append(count)
                row["repeat_count"] = "${" + count["name"] + "}"
            if field.type in ("group", "repeat"):
                self.survey.append({**row, "type": f"begin_{field.type}"})
                self.fields(field.fields)
                self.survey.append({"type": f"end_{field.type}", "name": field.name})
            else:
                self.survey.append(row)

    def loose_slots(self) -> None:
        """Evidence slots no field shows (e.g. the optional four letters) as image questions at the end."""
        shown = {f.slot for f in walk(self.form.fields) if f.slot}
        for slot in self.form.attachment_slots:
            if slot.slot in shown:
                continue
            name = slot.slot.replace(".", "_")
            self.survey.append(
                {
                    "type": "image",
                    "name": name,
                    "parameters": f"max-pixels={PHOTO_MAX_PIXELS}",
                    **({"required": "yes"} if slot.required else {}),
                    **_labels("label", f"{slot.label_zh}（拍照）", f"{slot.label_en} (photo)"),
                }
            )
            self.image_fields[name] = slot.slot

    def _count_question(self, field: Field) -> dict[str, Any] | None:
        """For a repeat with min_count/max_count: how many entries, asked just before it, with the bounds
        as its constraint. Collect then shows exactly that many, so the phone enforces what intake checks
        (a visit refused after it was sent would send the cadre back to the door). The answer is not
        ours to store: the instance reader takes only the form's own fields."""
        constraint = constraint_xpath(field, _REPEAT_COUNT)
        if constraint is None:
            return None
        expression, (zh, en) = constraint
        row: dict[str, Any] = {
            "type": "integer",
            "name": field.path.replace(".", "_") + "_count",
            **_labels("label", f"{field.label.zh}：共几项", f"{field.label.en}: how many"),
            "required": "yes",
            **_labels("required_message", "必填", "Required"),
            "constraint": expression,
            **_labels("constraint_message", zh, en),
        }
        if field.relevant:
            row["relevant"] = condition_xpath(field.relevant, self, field.path)
        return row

    def _row(self, field: Field) -> dict[str, Any]:
        row: dict[str, Any] = {"name": field.name, **_labels("label", field.label.zh, field.label.en)}
        if field.hint:
            row |= _labels("hint", field.hint.zh, field.hint.en)
        if field.relevant:
            row["relevant"] = condition_xpath(field.relevant, self, field.path)
        required = field.required
        if field.slot:
            required = self.form.slot(field.slot).required
            self.image_fields[field.path.replace(".", "/")] = field.slot
        if required and field.type not in ("group", "repeat", "note"):
            row["required"] = "yes"
            row |= _labels("required_message", "必填", "Required")
        row |= self._type(field)
        constraint = constraint_xpath(field)
        if constraint:
            row["constraint"], (zh, en) = constraint
            row |= _labels("constraint_message", zh, en)
        return row

    def _type(self, field: Field) -> dict[str, str]:
        kind = field.type
        simple = {"text": "text", "integer": "integer", "decimal": "decimal", "date": "date", "note": "note"}
        if kind in simple:
            return {"type": simple[kind]}
        if kind == "geopoint":
            accuracy = f"capture-accuracy={CAPTURE_ACCURACY_M} warning-accuracy={WARNING_ACCURACY_M}"
            return {"type": "geopoint", "parameters": accuracy}
        if kind == "boolean":
            return {"type": f"select_one {BOOLEAN_LIST}"}
        if kind in ("select_one", "select_multiple"):
            list_name = field.path.replace(".", "_")
            self.choices += [
                {"list_name": list_name, "name": c.code, **_labels("label", c.label.zh, c.label.en)}
                for c in field.choices
            ]
            return {"type": f"{kind} {list_name}"}
        if kind == "photo":
            return {"type": "image", "parameters": f"max-pixels={PHOTO_MAX_PIXELS}"}
        if kind == "signature":
            return {"type": "image", "appearance": "signature"}
        if kind in ("group", "repeat"):
            return {}
        raise XFormBuildError(f"{self.form.key}: no XForm question for field type {kind!r}")

    # --- references -------------------------------------------------------------------------------

    def ref(self, target: str, here: str, item: str | None = None) -> str:
        """XPath to the answer at `target` from the field at `here` (inside `item`'s predicate if given).

        Outside repeats the path is absolute; within the repeat instance that `here` is in it is relative,
        so that "this child" means the child being filled in.
        """
        if item and target.startswith(item + "."):
            return target[len(item) + 1 :].replace(".", "/")
        shared = [
            p
            for p, f in self.by_path.items()
            if f.type == "repeat" and target.startswith(p + ".") and here.startswith(p + ".")
        ]
        if shared:
            repeat = max(shared, key=len)
            up = here.count(".") - repeat.count(".")
            return "/".join([".."] * up + target[len(repeat) + 1 :].split("."))
        return f"/{self.root}/" + target.replace(".", "/")


def condition_xpath(cond: Mapping[str, Any], sheets: _Sheets, here: str, item: str | None = None) -> str:
    """Our condition language (app.forms.conditions) as an XPath 1.0 expression with ODK's functions."""
    if "all" in cond:
        return "(" + " and ".join(condition_xpath(c, sheets, here, item) for c in cond["all"]) + ")"
    if "any" in cond:
        return "(" + " or ".join(condition_xpath(c, sheets, here, item) for c in cond["any"]) + ")"
    if "not" in cond:
        return f"not({condition_xpath(cond['not'], sheets, here, item)})"
    if "every" in cond or "some" in cond:
        path = cond.get("every") or cond["some"]
        inner = condition_xpath(cond["where"], sheets, here, path)
        nodes = sheets.ref(path, here, item)
        if "every" in cond:
            return f"count({nodes}[not({inner})]) = 0"
        return f"count({nodes}[{inner}]) > 0"
    field = sheets.by_path[cond["field"]]
    return _compare(sheets.ref(cond["field"], here, item), field, cond["op"], cond.get("value"))


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "'true'" if value else "'false'"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    return f'"{text}"' if "'" in text else f"'{text}'"


def _compare(ref: str, field: Field, op: str, value: Any) -> str:
    """One comparison, keeping the engine's rule that an unanswered value makes eq/in/gt... false."""
    options = value if isinstance(value, list) else [value]
    if field.type == "select_multiple":
        picked = " or ".join(f"selected({ref}, {_literal(v)})" for v in options)
        if op == "truthy":
            return f"count-selected({ref}) > 0"
        if op in ("eq", "in"):
            return f"({picked})"
        if op in ("ne", "not_in"):
            return f"not({picked})"
        return "false()"
    if op == "truthy":
        if field.type == "boolean":
            return f"{ref} = 'true'"
        if field.type in ("integer", "decimal"):
            return f"(string-length({ref}) > 0 and {ref} != 0)"
        return f"string-length({ref}) > 0"
    lit = (lambda v: f"date('{v}')") if field.type == "date" else _literal
    if op in ("eq", "ne"):
        return f"{ref} {'=' if op == 'eq' else '!='} {lit(value)}"
    if op in ("in", "not_in"):
        hit = "(" + " or ".join(f"{ref} = {lit(v)}" for v in options) + ")"
        return hit if op == "in" else f"not{hit}"
    symbol = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
    return f"(string-length({ref}) > 0 and {ref} {symbol} {lit(value)})"


_BOUNDS = (
    ("min", ". >= {v}", "不能小于 {n}", "at least {n}"),
    ("max", ". <= {v}", "不能大于 {n}", "at most {n}"),
)
# a repeat's bounds, checked on the count question asked before it (the repeat itself takes no constraint)
_REPEAT_COUNT = (
    ("min_count", ". >= {v}", "至少 {n} 项", "at least {n}"),
    ("max_count", ". <= {v}", "最多 {n} 项", "at most {n}"),
)
# field type -> (constraint key, XPath on ".", Chinese message, English message)
_RULES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "integer": _BOUNDS,
    "decimal": _BOUNDS,
    "date": _BOUNDS,
    "text": (
        ("min_length", "string-length(.) >= {v}", "至少 {n} 个字", "at least {n} characters"),
        ("max_length", "string-length(.) <= {v}", "最多 {n} 个字", "at most {n} characters"),
    ),
    "select_multiple": (
        ("min_count", "count-selected(.) >= {v}", "至少选 {n} 项", "choose at least {n}"),
        ("max_count", "count-selected(.) <= {v}", "最多选 {n} 项", "choose at most {n}"),
    ),
}


def constraint_xpath(
    field: Field, rules: tuple[tuple[str, str, str, str], ...] | None = None
) -> tuple[str, tuple[str, str]] | None:
    """The field's constraints as one XPath on `.` with a Chinese and an English message, or None
    (`rules`: instead of the field type's own, e.g. a repeat's bounds for its count question)."""
    c = field.constraints or {}
    parts: list[str] = []
    zh: list[str] = []
    en: list[str] = []
    for key, expr, msg_zh, msg_en in _RULES.get(field.type, ()) if rules is None else rules:
        n = c.get(key)
        if n is None:
            continue
        parts.append(expr.format(v=f"date('{n}')" if field.type == "date" else repr(n)))
        zh.append(msg_zh.format(n=n))
        en.append(msg_en.format(n=n))
    pattern = c.get("pattern") if field.type == "text" else None
    if pattern is not None and not ("'" in pattern and '"' in pattern):
        parts.append(f"regex(., {_literal(f'^(?:{pattern})$')})")
        zh.append("格式不符")
        en.append("does not match the expected format")
    if not parts:
        return None
    return " and ".join(parts), ("，".join(zh), "; ".join(en).capitalize())
