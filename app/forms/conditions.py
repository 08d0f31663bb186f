"""The condition language of forms, for relevance and assessment rules: data, never eval.

    {field: "housing.grade", op: "in", value: ["C", "D"]}      ops: eq ne gt gte lt lte in not_in truthy
    {all: [...]}  {any: [...]}  {not: {...}}
    {every: "education.children", where: {...}}  {some: "...", where: {...}}   (over a repeat's items)

Paths are relative to the form root, dotted through groups. Inside a repeat item (a field's own item, or
the item an `every`/`some` is looking at) a path through that repeat means "this item":
"education.children.in_school". `every` over no items holds, `some` over no items does not.

An unanswered value (missing or null) makes eq, in, gt, gte, lt, lte and truthy false and ne, not_in
true. A value of the wrong kind (text compared with a number) compares false. A multi-select answer is a
list of codes: eq/ne mean "selected"/"not selected", in/not_in mean "any of"/"none of".
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

Scope = Mapping[str, Mapping[str, Any]]

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def resolve(path: str, root: Mapping[str, Any], scope: Scope | None = None) -> Any:
    """The answer at `path`, or None; a repeat named in `scope` stands for its current item."""
    scope = scope or {}
    node: Any = root
    prefix = ""
    for part in path.split("."):
        prefix = f"{prefix}.{part}" if prefix else part
        node = node.get(part) if isinstance(node, Mapping) else None
        if prefix in scope:
            node = scope[prefix]
        if node is None:
            return None
    return node


def evaluate(condition: Mapping[str, Any], root: Mapping[str, Any], scope: Scope | None = None) -> bool:
    """True when `condition` holds for the answers `root` (see the module docstring)."""
    scope = scope or {}
    if "all" in condition:
        return all(evaluate(c, root, scope) for c in condition["all"])
    if "any" in condition:
        return any(evaluate(c, root, scope) for c in condition["any"])
    if "not" in condition:
        return not evaluate(condition["not"], root, scope)
    if "every" in condition or "some" in condition:
        quantifier = all if "every" in condition else any
        path = condition.get("every") or condition["some"]
        items = resolve(path, root, scope)
        items = [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []
        return quantifier(evaluate(condition["where"], root, {**scope, path: item}) for item in items)
    return compare(resolve(condition["field"], root, scope), condition["op"], condition.get("value"))


def compare(actual: Any, op: str, expected: Any = None) -> bool:
    """Apply one comparison operator to an answer value."""
    if op == "truthy":
        return bool(actual)
    if isinstance(actual, list):  # multi-select: a set of codes
        if op in ("eq", "ne"):
            return (expected in actual) == (op == "eq")
        hit = any(code in actual for code in _as_list(expected))
        return hit if op == "in" else not hit if op == "not_in" else False
    if op in ("eq", "ne"):
        return _same(actual, expected) == (op == "eq")
    if op in ("in", "not_in"):
        hit = actual is not None and any(_same(actual, option) for option in _as_list(expected))
        return hit == (op == "in")
    if actual is None or expected is None or isinstance(actual, bool) != isinstance(expected, bool):
        return False
    try:
        return _ORDER[op](actual, expected)
    except TypeError:
        return False


def _same(a: Any, b: Any) -> bool:
    """Equality that does not confuse True with 1."""
    return a is not None and isinstance(a, bool) == isinstance(b, bool) and a == b


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]
