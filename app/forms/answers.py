"""Answers against a form version: a marshmallow schema generated from the definition, and the rules
for relevance and required answers.

Cleaned answers are plain JSON values: text is trimmed, dates stay "YYYY-MM-DD" strings, decimals are
floats, geopoints are {lat, lon, accuracy_m}. A blank answer (null, "", [] ) counts as not given.

Hidden answers are dropped, not rejected: when a field is not relevant (its `relevant` condition does
not hold, or a group/repeat around it is hidden) any value sent for it is removed before checking, as a
phone keeps stale values when an earlier answer changes. Unknown keys are rejected so typos do not vanish.

Errors nest like the answers, with repeat indexes as strings:
`{"education": {"children": {"1": {"age": ["..."]}}}}`; a problem with a whole list (too few items) sits
at the list: `{"members": ["..."]}`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from marshmallow import RAISE, Schema, ValidationError, pre_load, validates_schema
from marshmallow import fields as ma

from app import inputs
from app.errors import ValidationFailed
from app.forms.conditions import Scope, evaluate
from app.forms.fields import Field

if TYPE_CHECKING:
    from app.forms.version import FormVersion

REQUIRED = "必填 Required"
MAX_TEXT = 2000  # a text answer whose field sets no max_length
MESSAGES = {
    "required": REQUIRED,
    "null": REQUIRED,
    "validator_failed": "取值无效 Invalid value",
    "invalid": "取值无效 Invalid value",
    "type": "应为对象 Must be an object",
}
INVALID = {
    "text": "应为文本 Must be text",
    "integer": "应为整数 Must be a whole number",
    "decimal": "应为数字 Must be a number",
    "boolean": "应为 true 或 false Must be true or false",
    "date": "日期格式应为 YYYY-MM-DD Must be a date as YYYY-MM-DD",
    "list": "应为列表 Must be a list",
}


def validate_answers(form_version: FormVersion, answers: Any) -> dict:
    """Cleaned answers, or ValidationFailed(errors={"answers": {...}}) keyed by field path."""
    try:
        return form_version.build_schema()().load(answers)
    except ValidationError as err:
        raise ValidationFailed(errors={"answers": _string_keys(err.messages)}) from None


def build_answers_schema(fields: tuple[Field, ...], name: str) -> type[Schema]:
    """A marshmallow Schema class for a form's answers (types, constraints, relevance, required)."""
    attrs: dict[str, Any] = _schema_fields(fields, name)
    attrs["form_fields"] = fields
    return type(name, (AnswersSchema,), attrs)


class _StrictSchema(Schema):
    error_messages = {"unknown": "未知字段 Unknown field", "type": MESSAGES["type"]}

    class Meta:
        unknown = RAISE
        register = False


class AnswersSchema(_StrictSchema):
    """Base of generated answer schemas: drops blank and hidden answers, then checks required ones."""

    form_fields: tuple[Field, ...] = ()

    @pre_load
    def _drop_blank_and_hidden(self, data: Any, **_kwargs) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = copy.deepcopy(dict(data))
        _walk(self.form_fields, data, data, {}, {})
        return data

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _check_required(self, _data: Any, original_data: Any, **_kwargs) -> None:
        if not isinstance(original_data, Mapping):
            return
        answers = copy.deepcopy(dict(original_data))
        errors: dict = {}
        _walk(self.form_fields, answers, answers, {}, errors)
        if errors:
            raise ValidationError(errors)


def _walk(fields: tuple[Field, ...], container: dict, root: dict, scope: Scope, errors: dict) -> None:
    """In document order: remove blank and hidden answers from `container`, note missing required ones.

    Works in place on `root`, so a field hidden earlier counts as unanswered for later conditions.
    """
    for field in fields:
        if not field.has_answer:
            continue
        if field.relevant is not None and not evaluate(field.relevant, root, scope):
            container.pop(field.name, None)
            continue
        value = container.get(field.name)
        if _is_blank(field, value):
            container.pop(field.name, None)
            if field.required:
                errors[field.name] = [REQUIRED]
            if field.type == "group":  # an absent group: its own required fields are still missing
                _walk(field.fields, {}, root, scope, errors.setdefault(field.name, {}))
                if not errors[field.name]:
                    del errors[field.name]
            continue
        if field.type == "group" and isinstance(value, dict):
            _walk(field.fields, value, root, scope, errors.setdefault(field.name, {}))
        elif field.type == "repeat" and isinstance(value, list):
            item_errors = errors.setdefault(field.name, {})
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    scoped = {**scope, field.path: item}
                    _walk(field.fields, item, root, scoped, item_errors.setdefault(index, {}))
                    if not item_errors[index]:
                        del item_errors[index]
        if not errors.get(field.name, True):
            del errors[field.name]


def _is_blank(field: Field, value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str) and field.type in ("text", "select_one", "date"):
        return not value.strip()
    return isinstance(value, list) and not value and field.type in ("select_multiple", "repeat")


# --- marshmallow fields, one builder per field type -------------------------------------------------


class Text(inputs.Text):
    """A text answer: proper Unicode without control characters (line breaks allowed), trimmed."""

    def __init__(self, **kwargs):
        super().__init__(multiline=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class WholeNumber(ma.Integer):
    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)


class Number(ma.Float):
    """A JSON number (not a numeric string, not a boolean); NaN and infinity refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(ma.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if value is True or value is False:
            return value
        raise self.make_error("invalid")


class IsoDate(ma.Field):
    """A calendar date kept as its "YYYY-MM-DD" text, so answers stay plain JSON."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            if isinstance(value, str) and len(value) == 10:
                return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
        raise self.make_error("invalid")


def _messages(kind: str | None = None) -> dict[str, str]:
    return {**MESSAGES, "invalid": INVALID[kind]} if kind else dict(MESSAGES)


def _schema_fields(fields: tuple[Field, ...], name: str) -> dict[str, ma.Field]:
    return {f.name: _field(f, name) for f in fields if f.has_answer}


def _field(field: Field, schema_name: str) -> ma.Field:
    kind = field.type
    if kind == "text":
        validators = [*_length(field), *_pattern(field)]
        cap = None if field.constraint("max_length") else MAX_TEXT
        return Text(max_length=cap, validate=validators, error_messages=_messages("text"))
    if kind == "integer":
        return WholeNumber(validate=_range(field), error_messages=_messages("integer"))
    if kind == "decimal":
        return Number(allow_nan=False, validate=_range(field), error_messages=_messages("decimal"))
    if kind == "boolean":
        return StrictBoolean(error_messages=_messages("boolean"))
    if kind == "date":
        return IsoDate(validate=_range(field), error_messages=_messages("date"))
    if kind == "select_one":
        return Text(validate=[_one_of(field)], error_messages=_messages("text"))
    if kind == "select_multiple":
        code = Text(validate=[_one_of(field)], error_messages=_messages("text"))
        return ma.List(code, validate=[_unique, *_count(field)], error_messages=_messages("list"))
    if kind == "geopoint":
        return ma.Nested(_GeoPoint, error_messages=_messages())
    item_name = f"{schema_name}.{field.name}"
    item = type(item_name, (_StrictSchema,), _schema_fields(field.fields, item_name))
    if kind == "group":
        return ma.Nested(item, error_messages=_messages())
    if kind == "repeat":
        nested = ma.Nested(item, error_messages=_messages())
        return ma.List(nested, validate=_count(field), error_messages=_messages("list"))
    raise ValueError(f"no answer schema for field type {kind!r}")  # display types never get here


def _number(**kwargs) -> Number:
    return Number(allow_nan=False, error_messages=_messages("decimal"), **kwargs)


class _GeoPoint(_StrictSchema):
    lat = _number(required=True, validate=lambda v: _bounded(v, -90, 90))
    lon = _number(required=True, validate=lambda v: _bounded(v, -180, 180))
    accuracy_m = _number(validate=lambda v: _bounded(v, 0, None))


Validator = Callable[[Any], None]


def _bounded(value: Any, low: Any, high: Any) -> None:
    if low is not None and value < low:
        raise ValidationError(f"不能小于 {low} Must be at least {low}")
    if high is not None and value > high:
        raise ValidationError(f"不能大于 {high} Must be at most {high}")


def _range(field: Field) -> list[Validator]:
    low, high = field.constraint("min"), field.constraint("max")
    return [lambda v: _bounded(v, low, high)] if low is not None or high is not None else []


def _length(field: Field) -> list[Validator]:
    low, high = field.constraint("min_length"), field.constraint("max_length")

    def check(value: str) -> None:
        if low is not None and len(value) < low:
            raise ValidationError(f"至少 {low} 个字 At least {low} characters")
        if high is not None and len(value) > high:
            raise ValidationError(f"最多 {high} 个字 At most {high} characters")

    return [check] if low is not None or high is not None else []


def _pattern(field: Field) -> list[Validator]:
    pattern = field.constraint("pattern")
    if pattern is None:
        return []
    compiled = re.compile(pattern)

    def check(value: str) -> None:
        if not compiled.fullmatch(value):
            raise ValidationError(f"格式不符 Does not match the pattern {pattern}")

    return [check]


def _count(field: Field) -> list[Validator]:
    low, high = field.constraint("min_count"), field.constraint("max_count")

    def check(value: list) -> None:
        if low is not None and len(value) < low:
            raise ValidationError(f"至少 {low} 项 At least {low} items")
        if high is not None and len(value) > high:
            raise ValidationError(f"最多 {high} 项 At most {high} items")

    return [check] if low is not None or high is not None else []


def _one_of(field: Field) -> Validator:
    codes = field.codes
    shown = ", ".join(codes)

    def check(value: str) -> None:
        if value not in codes:
            raise ValidationError(f"不是有效选项 Not one of the choices: {shown}")

    return check


def _unique(value: list) -> None:
    if len(set(value)) != len(value):
        raise ValidationError("选项重复 A choice is repeated")


def _string_keys(messages: Any) -> Any:
    if isinstance(messages, dict):
        return {str(k): _string_keys(v) for k, v in messages.items()}
    return messages
