"""What the JSON Schema cannot see: references, uniqueness, and which keys apply to which field type.

`problems_in(definition)` returns (json_path, message) pairs for a definition that already passed
FORM_SCHEMA; json paths look like "fields[3].choices[0]".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.forms.assessment_rules import INCOME_RULE

Problem = tuple[str, str]

CONSTRAINTS_FOR = {
    "text": {"min_length", "max_length", "pattern"},
    "integer": {"min", "max"},
    "decimal": {"min", "max"},
    "date": {"min", "max"},
    "select_multiple": {"min_count", "max_count"},
    "repeat": {"min_count", "max_count"},
}
NO_ANSWER = {"note", "photo", "signature"}
ORDERED = {"integer", "decimal", "date"}
CONDITION_FORMS = ("field", "all", "any", "not", "every", "some")


@dataclass(frozen=True)
class _Declared:
    type: str
    json_path: str
    repeats: tuple[str, ...]  # answer paths of the repeats around the field, outermost first
    codes: tuple[str, ...]
    order: int
    slot: str | None


def problems_in(definition: Mapping[str, Any], standards: Mapping[str, Any] | None = None) -> list[Problem]:
    """Semantic problems of a schema-valid definition; `standards` names the standards files available."""
    problems: list[Problem] = []
    declared: dict[str, _Declared] = {}
    conditions: list[tuple[str, Mapping, int, tuple[str, ...]]] = []
    _check_fields(definition["fields"], "fields", "", (), declared, conditions, problems)
    for json_path, condition, order, repeats in conditions:
        _check_condition(condition, json_path, declared, order, repeats, problems)
    slots = _check_slots(definition["attachments"], problems)
    for info in declared.values():
        if info.type in ("photo", "signature") and info.slot:
            if info.slot not in slots:
                problems.append((f"{info.json_path}.slot", f"no attachment slot {info.slot!r} in this form"))
            elif slots[info.slot] != info.type:
                problems.append((f"{info.json_path}.slot", f"{info.slot!r} is a {slots[info.slot]} slot"))
    if "assessment" in definition:
        _check_assessment(definition["assessment"], declared, standards or {}, problems)
    return problems


def _check_fields(items, json_base, prefix, repeats, declared, conditions, problems) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        json_path = f"{json_base}[{index}]"
        name, kind = item["name"], item["type"]
        path = f"{prefix}.{name}" if prefix else name
        if name in seen:
            problems.append((f"{json_path}.name", f"duplicate field name {name!r}"))
        seen.add(name)
        codes = tuple(c["code"] for c in item.get("choices", ()))
        declared[path] = _Declared(kind, json_path, repeats, codes, len(declared), item.get("slot"))
        problems.extend(_check_keys(item, json_path))
        if "relevant" in item:
            conditions.append((f"{json_path}.relevant", item["relevant"], declared[path].order, repeats))
        if "fields" in item and kind in ("group", "repeat"):
            inner = (*repeats, path) if kind == "repeat" else repeats
            _check_fields(item["fields"], f"{json_path}.fields", path, inner, declared, conditions, problems)


def _check_keys(item: Mapping, json_path: str) -> list[Problem]:
    kind = item["type"]
    out = []
    if "choices" in item and kind not in ("select_one", "select_multiple"):
        out.append((f"{json_path}.choices", f"'choices' does not apply to {kind} fields"))
    if "fields" in item and kind not in ("group", "repeat"):
        out.append((f"{json_path}.fields", f"'fields' does not apply to {kind} fields"))
    if "slot" in item and kind not in ("photo", "signature"):
        out.append((f"{json_path}.slot", f"'slot' does not apply to {kind} fields"))
    if "required" in item and kind in NO_ANSWER | {"group"}:
        out.append((f"{json_path}.required", f"'required' does not apply to {kind} fields"))
    codes = [c["code"] for c in item.get("choices", ())]
    for dup in sorted({c for c in codes if codes.count(c) > 1}):
        out.append((f"{json_path}.choices", f"duplicate choice code {dup!r}"))
    constraints = item.get("constraints", {})
    allowed = CONSTRAINTS_FOR.get(kind, set())
    for key in constraints:
        if key not in allowed:
            out.append((f"{json_path}.constraints.{key}", f"{key!r} does not apply to {kind} fields"))
    out.extend(_check_bounds(kind, constraints, f"{json_path}.constraints"))
    return out


def _check_bounds(kind: str, constraints: Mapping, json_path: str) -> list[Problem]:
    out = []
    for key in ("min", "max"):
        if key not in constraints or kind not in ORDERED:
            continue
        value = constraints[key]
        if kind == "date" and not _is_date(value):
            out.append((f"{json_path}.{key}", f"{value!r} is not a date as YYYY-MM-DD"))
        elif kind == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
            out.append((f"{json_path}.{key}", f"{value!r} is not a whole number"))
        elif kind == "decimal" and not isinstance(value, int | float):
            out.append((f"{json_path}.{key}", f"{value!r} is not a number"))
    for low, high in (("min", "max"), ("min_length", "max_length"), ("min_count", "max_count")):
        a, b = constraints.get(low), constraints.get(high)
        if a is not None and b is not None and type(a) is type(b) and a > b:
            out.append((json_path, f"{low} {a!r} is greater than {high} {b!r}"))
    if "pattern" in constraints:
        try:
            re.compile(constraints["pattern"])
        except re.error as err:
            out.append((f"{json_path}.pattern", f"not a valid regular expression: {err}"))
    return out


def _check_condition(cond, json_path, declared, order, repeats, problems) -> None:
    """`order` limits references to fields shown earlier (relevance); None allows any (assessment)."""
    forms = [k for k in CONDITION_FORMS if k in cond]
    if len(forms) != 1:
        problems.append((json_path, f"a condition needs exactly one of {', '.join(CONDITION_FORMS)}"))
        return
    form = forms[0]
    if "where" in cond and form not in ("every", "some"):
        problems.append((f"{json_path}.where", "'where' belongs with 'every' or 'some'"))
    if form in ("all", "any"):
        for i, inner in enumerate(cond[form]):
            _check_condition(inner, f"{json_path}.{form}[{i}]", declared, order, repeats, problems)
    elif form == "not":
        _check_condition(cond["not"], f"{json_path}.not", declared, order, repeats, problems)
    elif form in ("every", "some"):
        path = cond[form]
        problem = _reference_problem(path, declared, order, repeats, want_repeat=True)
        if problem:
            problems.append((f"{json_path}.{form}", problem))
            return
        inner_scope = (*repeats, path)
        _check_condition(cond["where"], f"{json_path}.where", declared, order, inner_scope, problems)
    else:
        problem = _reference_problem(cond["field"], declared, order, repeats, want_repeat=False)
        if problem:
            problems.append((f"{json_path}.field", problem))
        else:
            problems.extend(_check_comparison(cond, json_path, declared[cond["field"]]))


def _reference_problem(path, declared, order, repeats, *, want_repeat: bool) -> str | None:
    info = declared.get(path)
    if info is None:
        return f"no field {path!r} in this form"
    if want_repeat and info.type != "repeat":
        return f"{path!r} is of type {info.type}, not repeat"
    if not want_repeat and info.type in NO_ANSWER | {"group", "repeat"}:
        hint = "; use every/some" if info.type == "repeat" else ""
        return f"{path!r} is of type {info.type} and has no value to compare{hint}"
    outside = [r for r in info.repeats if r not in repeats]
    if outside:
        return f"{path!r} is inside repeat {outside[0]!r}; reach it with every/some"
    if order is not None and info.order >= order:
        return f"{path!r} is not shown before this field (relevance may only look back)"
    return None


def _check_comparison(cond: Mapping, json_path: str, info: _Declared) -> list[Problem]:
    op, value = cond["op"], cond.get("value")
    if op == "truthy":
        return []
    if op in ("gt", "gte", "lt", "lte") and info.type not in ORDERED:
        return [(f"{json_path}.op", f"{op!r} needs a number or date field, {cond['field']!r} is {info.type}")]
    values = value if op in ("in", "not_in") else [value]
    if op in ("in", "not_in") and not isinstance(value, list):
        return [(f"{json_path}.value", f"{op!r} needs a list of values")]
    for v in values:
        problem = _value_problem(info, v)
        if problem:
            return [(f"{json_path}.value", problem)]
    return []


def _value_problem(info: _Declared, value: Any) -> str | None:
    kind = info.type
    if kind in ("select_one", "select_multiple"):
        return None if value in info.codes else f"{value!r} is not a choice code ({', '.join(info.codes)})"
    if kind == "boolean" and not isinstance(value, bool):
        return f"{value!r} is not true or false"
    if kind in ("integer", "decimal") and (isinstance(value, bool) or not isinstance(value, int | float)):
        return f"{value!r} is not a number"
    if kind == "date" and not _is_date(value):
        return f"{value!r} is not a date as YYYY-MM-DD"
    if kind == "text" and not isinstance(value, str):
        return f"{value!r} is not text"
    if kind == "geopoint":
        return "a geopoint can only be tested with 'truthy'"
    return None


def _check_slots(items: list[Mapping], problems: list[Problem]) -> dict[str, str]:
    slots: dict[str, str] = {}
    for index, item in enumerate(items):
        json_path = f"attachments[{index}]"
        name, kind = item["slot"], item["kind"]
        if name in slots:
            problems.append((f"{json_path}.slot", f"duplicate slot {name!r}"))
        if not name.startswith(kind + "."):
            problems.append((f"{json_path}.slot", f"a {kind} slot's name starts with '{kind}.'"))
        slots[name] = kind
    return slots


def _check_assessment(rules, declared, standards, problems) -> None:
    income = rules.get("income")
    if income:
        for key in ("total_field", "size_field", "per_capita_field"):
            if key not in income:
                continue
            info = declared.get(income[key])
            wanted = ("integer",) if key == "size_field" else ("integer", "decimal")
            if info is None or info.type not in wanted or info.repeats:
                kinds = " or ".join(wanted)
                message = f"{income[key]!r} must be a field of type {kinds}, outside repeats"
                problems.append((f"assessment.income.{key}", message))
        if ("standard" in income) == ("thresholds" in income):
            problems.append(("assessment.income", "give either 'standard' or 'thresholds'"))
        elif "standard" in income and income["standard"] not in standards:
            problems.append(
                ("assessment.income.standard", f"no standards file standards/{income['standard']}.yaml")
            )
    codes: set[str] = set()
    for index, indicator in enumerate(rules["indicators"]):
        json_path = f"assessment.indicators[{index}]"
        if indicator["code"] in codes:
            problems.append((f"{json_path}.code", f"duplicate indicator {indicator['code']!r}"))
        codes.add(indicator["code"])
        if ("passes_when" in indicator) == ("rule" in indicator):
            problems.append((json_path, "give either 'passes_when' or 'rule'"))
        elif indicator.get("rule") == INCOME_RULE and not income:
            problems.append((f"{json_path}.rule", "the income rule needs 'assessment.income'"))
        elif "passes_when" in indicator:
            _check_condition(
                indicator["passes_when"], f"{json_path}.passes_when", declared, None, (), problems
            )


def _is_date(value: Any) -> bool:
    try:
        return isinstance(value, str) and len(value) == 10 and bool(date.fromisoformat(value))
    except ValueError:
        return False
