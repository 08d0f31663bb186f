"""Assessment against 两不愁三保障 and the income line, from the rules household_visit v1 declares."""

from __future__ import annotations

import pytest

from app.forms import AssessmentUnavailable, assess, load_registry, validate_answers
from tests.forms_fixtures.samples import SHIPPED, field, form, label, visit_answers

SHANDONG = "370101001001"
HENAN = "410101001001"


@pytest.fixture(scope="module")
def visit_form():
    return load_registry(SHIPPED).get("household_visit", 1)


def _assess(form_version, answers, year=2020, area_code=SHANDONG):
    return assess(form_version, validate_answers(form_version, answers), year=year, area_code=area_code)


@pytest.mark.parametrize(
    ("total", "size", "per_capita", "passed"),
    [
        (17999.96, 4, 4499.99, False),  # just below 4,500
        (17999.99, 4, 4499.99, False),  # 4499.9975 is cut to the fen, never rounded up over the line
        (18000, 4, 4500.0, True),  # at the line passes
        (18004, 4, 4501.0, True),
        (0, 1, 0.0, False),
        (9000, 1, 9000.0, True),
    ],
)
def test_income_around_the_shandong_2020_line(visit_form, total, size, per_capita, passed):
    result = _assess(visit_form, visit_answers(income={"total_net_income": total, "household_size": size}))
    assert (result.per_capita_income, result.threshold, result.income_passed) == (per_capita, 4500, passed)
    assert result.indicator("income").passed is passed
    assert result.all_passed is passed


@pytest.mark.parametrize(
    ("year", "area_code", "threshold"),
    [
        (2020, SHANDONG, 4500),  # Shandong's own line
        (2020, HENAN, 4000),  # national
        (2021, SHANDONG, 4500),  # a line holds until a later one replaces it
        (2019, SHANDONG, 3750),  # before Shandong's entry the national line applies
        (2016, HENAN, 3000),
    ],
)
def test_threshold_by_year_and_region(visit_form, year, area_code, threshold):
    assert _assess(visit_form, visit_answers(), year=year, area_code=area_code).threshold == threshold


def test_no_threshold_for_the_year(visit_form):
    with pytest.raises(AssessmentUnavailable, match="2015"):
        _assess(visit_form, visit_answers(), year=2015)


def test_most_specific_region_wins_and_per_capita_answer_is_used():
    lines = [
        {"region": "national", "from_year": 2020, "amount": 4000},
        {"region": "37", "from_year": 2020, "amount": 4500},
        {"region": "3713", "from_year": 2020, "amount": 4600},
    ]
    f = form(
        field("total", "decimal", required=True),
        field("size", "integer", required=True),
        field("per_capita", "decimal"),
        assessment={
            "income": {
                "total_field": "total",
                "size_field": "size",
                "per_capita_field": "per_capita",
                "thresholds": lines,
            },
            "indicators": [{"code": "income", "label": label("收入"), "rule": "income_threshold"}],
        },
    )
    linyi = _assess(f, {"total": 9000, "size": 2}, area_code="371302001001")
    assert (linyi.threshold, linyi.per_capita_income, linyi.income_passed) == (4600, 4500, False)
    given = _assess(f, {"total": 9000, "size": 2, "per_capita": 4700}, area_code="371302001001")
    assert (given.per_capita_income, given.income_passed) == (4700, True)


INDICATOR_CASES = [
    # (changes to the sample answers, indicator, passes)
    ({}, "housing_safety", True),
    ({"housing": {"grade": "A"}}, "housing_safety", True),
    ({"housing": {"grade": "C", "repair_plan": False}}, "housing_safety", False),  # C without a plan fails
    ({"housing": {"grade": "C", "repair_plan": True}}, "housing_safety", True),
    ({"housing": {"grade": "D", "repair_plan": False}}, "housing_safety", False),
    (
        {"housing": {"grade": "D", "repair_plan": True, "repair_deadline": "2020-10-01"}},
        "housing_safety",
        True,
    ),
    ({"food_clothing": {"food_secure": False}}, "food_clothing", False),
    ({"food_clothing": {"clothing_secure": False}}, "food_clothing", False),
    ({"water": {"safe_drinking_water": False}}, "drinking_water", False),
    ({"medical": {"all_insured": False}}, "basic_medical", False),
    ({"medical": {"family_doctor_signed": False}}, "basic_medical", False),
    ({"medical": {"chronic_illness_certified": False}}, "basic_medical", False),
    ({"medical": {"has_chronic_illness": False}}, "basic_medical", True),
    ({"education": {"has_school_age_children": False}}, "compulsory_education", True),
    ({}, "compulsory_education", True),
]


@pytest.mark.parametrize(("changes", "code", "passed"), INDICATOR_CASES)
def test_indicators(visit_form, changes, code, passed):
    result = _assess(visit_form, visit_answers(**changes))
    assert result.indicator(code).passed is passed
    others = [i.passed for i in result.indicators if i.code != code]
    assert all(others)
    assert result.all_passed is passed


@pytest.mark.parametrize(
    ("child", "passed"),
    [
        ({"in_school": True, "subsidy_received": True}, True),
        ({"in_school": True, "subsidy_received": False}, False),
        ({"in_school": False, "dropout_reason": "外出打工", "persuaded_back": True}, False),  # 控辍保学
    ],
)
def test_compulsory_education_looks_at_every_child(visit_form, child, passed):
    answers = visit_answers()
    answers["education"]["children"][1] = {"name": "王小红", "age": 14, "stage": "junior_secondary", **child}
    result = _assess(visit_form, answers)
    assert result.indicator("compulsory_education").passed is passed


def test_result_shape(visit_form):
    result = _assess(visit_form, visit_answers(housing={"grade": "C", "repair_plan": False}))
    body = result.to_dict()
    assert [i["code"] for i in body["indicators"]] == [
        "food_clothing",
        "compulsory_education",
        "basic_medical",
        "housing_safety",
        "drinking_water",
        "income",
    ]
    housing = body["indicators"][3]
    assert housing == {
        "code": "housing_safety",
        "label_zh": "住房安全有保障",
        "label_en": "Housing safe",
        "passed": False,
        "detail": "C级或D级危房无修缮改造计划 C- or D-grade dangerous house without a repair plan",
    }
    assert body["indicators"][5]["detail"].startswith("人均纯收入 4500.00 元 ≥ 标准 4500 元 (2020, 37)")
    assert {k: body[k] for k in ("per_capita_income", "threshold", "income_passed", "all_passed")} == {
        "per_capita_income": 4500.0,
        "threshold": 4500.0,
        "income_passed": True,
        "all_passed": False,
    }


def test_a_form_without_rules_cannot_be_assessed():
    survey = load_registry(SHIPPED).get("satisfaction_survey")
    with pytest.raises(AssessmentUnavailable):
        assess(survey, {"overall": "satisfied"}, year=2020, area_code=SHANDONG)
