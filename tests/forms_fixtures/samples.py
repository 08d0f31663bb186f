"""Sample answers for the shipped forms, and a helper to build small forms in memory for table tests."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

from app.config import Config
from app.errors import ValidationFailed
from app.forms import FormVersion, parse_form, validate_answers

FIXTURES = Path(__file__).parent
SHIPPED = Path(Config().FORMS_DIR).resolve()

HOUSEHOLD_VISIT_V1 = {
    "record_check": {"record_matches": True, "head_present": True, "member_count_matches": True},
    "talk": {"satisfaction": "satisfied", "needs": ["employment", "medical"]},
    "food_clothing": {"food_secure": True, "clothing_secure": True},
    "education": {
        "has_school_age_children": True,
        "children": [
            {"name": "王小明", "age": 11, "stage": "primary", "in_school": True, "subsidy_received": True},
            {
                "name": "王小红",
                "age": 14,
                "stage": "junior_secondary",
                "in_school": True,
                "subsidy_received": True,
            },
        ],
    },
    "medical": {
        "all_insured": True,
        "family_doctor_signed": True,
        "has_chronic_illness": True,
        "chronic_illness_certified": True,
    },
    "housing": {"grade": "B"},
    "water": {"safe_drinking_water": True, "water_source": "piped"},
    "income": {
        "wage_income": 12000,
        "production_income": 6500.5,
        "transfer_income": 1800,
        "production_costs": 2300.5,
        "total_net_income": 18000,
        "household_size": 4,
        "income_documented": True,
    },
    "living": {"environment_tidy": True, "helper_knows_measures": True, "notes": "无"},
}

SATISFACTION_DISSATISFIED = {
    "overall": "dissatisfied",
    "reasons": ["helper_rarely_visits", "other"],
    "reason_detail": "去年只来过一次",
}


def visit_answers(**changes) -> dict:
    """A complete, valid household_visit v1 answer set; `group={...}` replaces fields of that group."""
    answers = copy.deepcopy(HOUSEHOLD_VISIT_V1)
    for group, fields in changes.items():
        answers[group] = {**answers.get(group, {}), **fields}
    return answers


def copy_forms(target: Path) -> Path:
    """The shipped forms directory copied under `target`, for tests that change files."""
    return Path(shutil.copytree(SHIPPED, target / "forms"))


def label(text: str) -> dict:
    return {"zh": text, "en": text}


def field(name: str, type_: str, **extra) -> dict:
    return {"name": name, "type": type_, "label": label(name), **extra}


def definition(*fields: dict, attachments: list | None = None, assessment: dict | None = None) -> dict:
    doc = {
        "form_id": "t",
        "version": 1,
        "status": "draft",
        "title": label("test"),
        "fields": list(fields),
        "attachments": attachments or [],
    }
    if assessment:
        doc["assessment"] = assessment
    return doc


def form(*fields: dict, **kwargs) -> FormVersion:
    return parse_form(definition(*fields, **kwargs))


def errors(form_version: FormVersion, answers) -> dict | None:
    """The answers errors validate_answers reports, or None when the answers are valid."""
    try:
        validate_answers(form_version, answers)
    except ValidationFailed as err:
        return err.details["errors"]["answers"]
    return None
