"""Answers against generated schemas: each field type, each constraint, relevance, repeats, unknown keys."""

from __future__ import annotations

import math
import string
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.forms import validate_answers
from app.forms.conditions import compare, evaluate
from tests.forms_fixtures.samples import errors, field, form

ERR = object()  # expected: a validation error at the field
CHOICES = [{"code": c, "label": {"zh": c, "en": c}} for c in ("a", "b", "c")]


def one(type_: str, **extra):
    spec = {"choices": CHOICES} if type_ in ("select_one", "select_multiple") else {}
    return form(field("x", type_, **spec, **extra))


@pytest.mark.parametrize(
    ("type_", "value", "cleaned"),
    [
        ("text", "你好", "你好"),
        ("text", "  padded ", "padded"),
        ("text", 12, ERR),
        ("integer", 3, 3),
        ("integer", -7, -7),
        ("integer", 3.5, ERR),
        ("integer", "3", ERR),
        ("integer", True, ERR),
        ("decimal", 2.5, 2.5),
        ("decimal", 2, 2.0),
        ("decimal", "2.5", ERR),
        ("decimal", False, ERR),
        ("decimal", math.nan, ERR),
        ("decimal", math.inf, ERR),
        ("boolean", True, True),
        ("boolean", False, False),
        ("boolean", "true", ERR),
        ("boolean", 1, ERR),
        ("date", "2020-02-29", "2020-02-29"),
        ("date", "2019-02-29", ERR),
        ("date", "2020/01/01", ERR),
        ("date", "2020-1-1", ERR),
        ("date", 20200101, ERR),
        ("select_one", "a", "a"),
        ("select_one", "z", ERR),
        ("select_one", ["a"], ERR),
        ("select_multiple", ["a", "c"], ["a", "c"]),
        ("select_multiple", ["a", "a"], ERR),
        ("select_multiple", ["z"], ERR),
        ("select_multiple", "a", ERR),
        (
            "geopoint",
            {"lat": 36.45, "lon": 115.45, "accuracy_m": 8},
            {"lat": 36.45, "lon": 115.45, "accuracy_m": 8},
        ),
        ("geopoint", {"lat": 36.45, "lon": 115.45}, {"lat": 36.45, "lon": 115.45}),
        ("geopoint", {"lat": 91, "lon": 0}, ERR),
        ("geopoint", {"lat": 0, "lon": 181}, ERR),
        ("geopoint", {"lat": 0, "lon": 0, "accuracy_m": -1}, ERR),
        ("geopoint", {"lat": 1}, ERR),
        ("geopoint", {"lat": 1, "lon": 2, "alt": 3}, ERR),
        ("geopoint", "36.4,115.4", ERR),
    ],
)
def test_field_types(type_, value, cleaned):
    f = one(type_)
    if cleaned is ERR:
        assert "x" in errors(f, {"x": value})
    else:
        assert validate_answers(f, {"x": value}) == {"x": cleaned}


@pytest.mark.parametrize(
    ("type_", "constraints", "value", "ok"),
    [
        ("text", {"min_length": 2}, "a", False),
        ("text", {"min_length": 2}, "ab", True),
        ("text", {"max_length": 3}, "abc", True),
        ("text", {"max_length": 3}, "abcd", False),
        ("text", {"pattern": r"1\d{10}"}, "13812345678", True),
        ("text", {"pattern": r"1\d{10}"}, "1381234567", False),
        ("text", {"pattern": r"1\d{10}"}, "13812345678x", False),  # the whole answer must match
        ("integer", {"min": 1, "max": 30}, 0, False),
        ("integer", {"min": 1, "max": 30}, 1, True),
        ("integer", {"min": 1, "max": 30}, 30, True),
        ("integer", {"min": 1, "max": 30}, 31, False),
        ("decimal", {"min": 0}, -0.01, False),
        ("decimal", {"min": 0}, 0, True),
        ("decimal", {"max": 99.5}, 99.6, False),
        ("date", {"min": "2020-01-01", "max": "2020-12-31"}, "2019-12-31", False),
        ("date", {"min": "2020-01-01", "max": "2020-12-31"}, "2020-06-01", True),
        ("date", {"min": "2020-01-01", "max": "2020-12-31"}, "2021-01-01", False),
        ("select_multiple", {"min_count": 2}, ["a"], False),
        ("select_multiple", {"min_count": 2}, ["a", "b"], True),
        ("select_multiple", {"max_count": 2}, ["a", "b", "c"], False),
    ],
)
def test_constraints(type_, constraints, value, ok):
    f = one(type_, constraints=constraints)
    assert (errors(f, {"x": value}) is None) is ok


def test_error_messages_are_chinese_and_english():
    f = one("integer", constraints={"max": 30}, required=True)
    assert errors(f, {"x": 31}) == {"x": ["不能大于 30 Must be at most 30"]}
    assert errors(f, {}) == {"x": ["必填 Required"]}
    assert errors(f, {"x": 1, "y": 2}) == {"y": ["未知字段 Unknown field"]}


@given(st.integers())
def test_integer_range_property(value):
    f = INT_1_30
    assert (errors(f, {"x": value}) is None) is (1 <= value <= 30)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_decimal_range_property(value):
    assert (errors(DEC_0_100, {"x": value}) is None) is (math.isfinite(value) and 0 <= value <= 100)


@given(st.text(alphabet=string.ascii_letters + "中文", max_size=12))
def test_text_length_property(value):
    # blank text counts as not answered, and the field is optional
    assert (errors(TEXT_2_8, {"x": value}) is None) is (value == "" or 2 <= len(value) <= 8)


@given(st.text(max_size=5))
def test_select_one_codes_property(value):
    blank = not value.strip()
    assert (errors(SELECT_ONE, {"x": value}) is None) is (blank or value.strip() in ("a", "b", "c"))


@given(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=5))
def test_select_multiple_property(value):
    valid = len(set(value)) == len(value) and "d" not in value and len(value) <= 2
    assert (errors(SELECT_MANY, {"x": value}) is None) is valid


@given(st.dates())
def test_date_range_property(value):
    valid = date(2020, 1, 1) <= value <= date(2020, 12, 31)
    assert (errors(DATE_2020, {"x": value.isoformat()}) is None) is valid


INT_1_30 = one("integer", constraints={"min": 1, "max": 30})
DEC_0_100 = one("decimal", constraints={"min": 0, "max": 100})
TEXT_2_8 = one("text", constraints={"min_length": 2, "max_length": 8})
SELECT_ONE = one("select_one")
SELECT_MANY = one("select_multiple", constraints={"max_count": 2})
DATE_2020 = one("date", constraints={"min": "2020-01-01", "max": "2020-12-31"})


# --- required, blank and unknown ---------------------------------------------------------------------

REQ = form(
    field("name", "text", required=True),
    field("note", "note"),
    field("info", "group", fields=[field("age", "integer", required=True), field("nick", "text")]),
)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"name": "张三", "info": {"age": 40}}, None),
        ({"info": {"age": 40}}, {"name": ["必填 Required"]}),
        ({"name": None, "info": {"age": 40}}, {"name": ["必填 Required"]}),
        ({"name": "   ", "info": {"age": 40}}, {"name": ["必填 Required"]}),
        ({"name": "张三"}, {"info": {"age": ["必填 Required"]}}),  # an absent group still has required fields
        ({"name": "张三", "info": {}}, {"info": {"age": ["必填 Required"]}}),
        ({"name": "张三", "info": "x"}, {"info": {"_schema": ["应为对象 Must be an object"]}}),
        ({"name": "张三", "info": {"age": 40}, "nmae": "typo"}, {"nmae": ["未知字段 Unknown field"]}),
        ({"name": "张三", "info": {"age": 40, "agee": 4}}, {"info": {"agee": ["未知字段 Unknown field"]}}),
        ({"name": "张三", "info": {"age": 40}, "note": "x"}, {"note": ["未知字段 Unknown field"]}),
    ],
)
def test_required_blank_and_unknown(answers, expected):
    assert errors(REQ, answers) == expected


def test_not_an_object():
    assert errors(REQ, ["name"]) == {"_schema": ["应为对象 Must be an object"]}


def test_blank_optional_answers_are_dropped_and_input_untouched():
    answers = {"name": "张三", "info": {"age": 40, "nick": ""}}
    assert validate_answers(REQ, answers) == {"name": "张三", "info": {"age": 40}}
    assert answers["info"]["nick"] == ""


# --- relevance ---------------------------------------------------------------------------------------

REL = form(
    field("has_school_age_children", "boolean", required=True),
    field(
        "school",
        "text",
        required=True,
        relevant={"field": "has_school_age_children", "op": "eq", "value": True},
    ),
    field(
        "housing",
        "group",
        fields=[
            field(
                "grade",
                "select_one",
                required=True,
                choices=[{"code": g, "label": {"zh": g, "en": g}} for g in "ABCD"],
            ),
            field(
                "repair_plan",
                "boolean",
                required=True,
                relevant={"field": "housing.grade", "op": "in", "value": ["C", "D"]},
            ),
        ],
    ),
    field("why", "text", required=True, relevant={"not": {"field": "housing.repair_plan", "op": "truthy"}}),
)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        # hidden: not required
        ({"has_school_age_children": False, "housing": {"grade": "A"}, "why": "ok"}, None),
        # shown and missing: required
        (
            {"has_school_age_children": True, "housing": {"grade": "A"}, "why": "ok"},
            {"school": ["必填 Required"]},
        ),
        (
            {"has_school_age_children": False, "housing": {"grade": "C"}, "why": "x"},
            {"housing": {"repair_plan": ["必填 Required"]}},
        ),
        # shown and answered; the later condition sees the earlier answer
        ({"has_school_age_children": False, "housing": {"grade": "D", "repair_plan": True}}, None),
        # a hidden answer with a wrong type is dropped, not reported
        ({"has_school_age_children": False, "school": 5, "housing": {"grade": "A"}, "why": "x"}, None),
    ],
)
def test_relevance(answers, expected):
    assert errors(REL, answers) == expected


def test_hidden_answers_are_dropped():
    answers = {
        "has_school_age_children": False,
        "school": "第一小学",  # left over from an earlier answer on the phone
        "housing": {"grade": "A", "repair_plan": False},
        "why": "ok",
    }
    assert validate_answers(REL, answers) == {
        "has_school_age_children": False,
        "housing": {"grade": "A"},
        "why": "ok",
    }


def test_a_dropped_answer_counts_as_unanswered_for_later_conditions():
    # repair_plan is hidden for grade A, so `why` (shown unless repair_plan is truthy) is required
    answers = {"has_school_age_children": False, "housing": {"grade": "A", "repair_plan": True}}
    assert errors(REL, answers) == {"why": ["必填 Required"]}


@given(st.booleans(), st.booleans(), st.sampled_from("ABCD"), st.booleans(), st.booleans())
def test_relevance_property(has_children, give_school, grade, give_plan, give_why):
    answers = {"has_school_age_children": has_children, "housing": {"grade": grade}}
    if give_school:
        answers["school"] = "小学"
    if give_plan:
        answers["housing"]["repair_plan"] = True
    if give_why:
        answers["why"] = "原因"
    plan_shown = grade in "CD"
    expected = {}
    if has_children and not give_school:
        expected["school"] = ["必填 Required"]
    if plan_shown and not give_plan:
        expected["housing"] = {"repair_plan": ["必填 Required"]}
    if not (plan_shown and give_plan) and not give_why:
        expected["why"] = ["必填 Required"]
    assert errors(REL, answers) == (expected or None)
    if not expected:
        cleaned = validate_answers(REL, answers)
        assert ("school" in cleaned) is has_children
        assert ("repair_plan" in cleaned["housing"]) is plan_shown


# --- repeats -----------------------------------------------------------------------------------------

REP = form(
    field(
        "members",
        "repeat",
        required=True,
        constraints={"min_count": 1, "max_count": 3},
        fields=[
            field("name", "text", required=True),
            field("age", "integer", required=True, constraints={"min": 0, "max": 120}),
            field("in_school", "boolean"),
            field(
                "grade",
                "integer",
                required=True,
                relevant={"field": "members.in_school", "op": "eq", "value": True},
            ),
        ],
    ),
)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"members": [{"name": "甲", "age": 40}]}, None),
        ({}, {"members": ["必填 Required"]}),
        ({"members": []}, {"members": ["必填 Required"]}),
        ({"members": [{"name": "甲", "age": 1}] * 4}, {"members": ["最多 3 项 At most 3 items"]}),
        (
            {"members": [{"name": "甲", "age": 40}, {"name": "乙", "age": 130}]},
            {"members": {"1": {"age": ["不能大于 120 Must be at most 120"]}}},
        ),
        (
            {"members": [{"name": "甲", "age": 40}, {"age": 9, "in_school": True}]},
            {"members": {"1": {"name": ["必填 Required"], "grade": ["必填 Required"]}}},
        ),
        (
            {"members": [{"name": "甲", "age": 40, "extra": 1}, "x"]},
            {
                "members": {
                    "0": {"extra": ["未知字段 Unknown field"]},
                    "1": {"_schema": ["应为对象 Must be an object"]},
                }
            },
        ),
        ({"members": {"name": "甲"}}, {"members": ["应为列表 Must be a list"]}),
    ],
)
def test_repeats_report_errors_by_index(answers, expected):
    assert errors(REP, answers) == expected


def test_relevance_inside_a_repeat_looks_at_its_own_item():
    answers = {
        "members": [
            {"name": "甲", "age": 40, "in_school": False, "grade": 3},
            {"name": "乙", "age": 9, "in_school": True, "grade": 3},
        ]
    }
    cleaned = validate_answers(REP, answers)
    assert "grade" not in cleaned["members"][0]
    assert cleaned["members"][1]["grade"] == 3


# --- the condition language --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "op", "expected", "result"),
    [
        (1, "eq", 1, True),
        (True, "eq", 1, False),
        (None, "eq", None, False),
        (None, "ne", 1, True),
        ("C", "in", ["C", "D"], True),
        ("B", "in", ["C", "D"], False),
        (None, "in", ["C"], False),
        (None, "not_in", ["C"], True),
        ("B", "not_in", ["C", "D"], True),
        (5, "gt", 4, True),
        (4, "gte", 4, True),
        (4, "lt", 4, False),
        (4, "lte", 4.0, True),
        (None, "gt", 4, False),
        ("5", "gt", 4, False),
        (True, "gt", 0, False),
        ("2020-02-01", "gt", "2020-01-31", True),
        (["a", "b"], "eq", "a", True),
        (["a", "b"], "ne", "a", False),
        (["a", "b"], "in", ["c", "b"], True),
        (["a", "b"], "not_in", ["c"], True),
        ([], "truthy", None, False),
        (0, "truthy", None, False),
        ("x", "truthy", None, True),
    ],
)
def test_compare(actual, op, expected, result):
    assert compare(actual, op, expected) is result


def test_quantifiers_and_combinators():
    answers = {"kids": [{"in_school": True}, {"in_school": False}], "n": 2, "none": []}
    in_school = {"field": "kids.in_school", "op": "eq", "value": True}
    assert evaluate({"some": "kids", "where": in_school}, answers)
    assert not evaluate({"every": "kids", "where": in_school}, answers)
    assert evaluate({"every": "none", "where": in_school}, answers)  # nothing to fail
    assert not evaluate({"some": "none", "where": in_school}, answers)
    assert evaluate(
        {"all": [{"field": "n", "op": "eq", "value": 2}, {"not": {"field": "m", "op": "truthy"}}]}, answers
    )
    assert evaluate(
        {"any": [{"field": "n", "op": "gt", "value": 5}, {"field": "n", "op": "lt", "value": 5}]}, answers
    )
