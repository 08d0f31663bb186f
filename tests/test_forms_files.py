"""Form files: the shipped forms, clear problems for bad files, the lock, publishing, and a second version."""

from __future__ import annotations

import copy
import json
import shutil

import pytest
import yaml
from click.testing import CliRunner

from app.errors import UnknownForm, UnknownSlot
from app.forms import (
    FormDefinitionError,
    assess,
    check_forms,
    load_registry,
    parse_form,
    publish,
    validate_answers,
)
from app.forms.cli import check_forms_command, publish_form_command
from app.forms.loader import LOCK_FILE, parse_yaml
from tests.forms_fixtures.samples import (
    FIXTURES,
    SATISFACTION_DISSATISFIED,
    SHIPPED,
    copy_forms,
    definition,
    errors,
    field,
    visit_answers,
)

PHOTO_SLOTS = ["photo.front_of_house", "photo.stove", "photo.bedroom", "photo.living_room"]
SIGNATURE_SLOTS = [
    "signature.household_head",
    "signature.village_secretary",
    "signature.first_secretary",
    "signature.township_cadre",
]
LETTER_SLOTS = [
    "letter.truthfulness_pledge",
    "letter.self_employment",
    "letter.employment_pledge",
    "letter.helper_responsibility",
]


@pytest.fixture(scope="module")
def registry():
    return load_registry(SHIPPED)


# --- the shipped forms -------------------------------------------------------------------------------


def test_shipped_forms_are_clean_and_published():
    assert check_forms(SHIPPED) == []
    lock = json.loads((SHIPPED / LOCK_FILE).read_text())
    assert set(lock) == {"household_visit/v1", "satisfaction_survey/v1"}


def test_registry_lists_current_versions(registry):
    assert [(f.form_id, f.version) for f in registry.list()] == [
        ("household_visit", 1),
        ("satisfaction_survey", 1),
    ]
    assert registry.get("household_visit") is registry.get("household_visit", 1)
    with pytest.raises(UnknownForm):
        registry.get("household_visit", 9)
    with pytest.raises(UnknownForm):
        registry.get("no_such_form")


def test_household_visit_slots(registry):
    form = registry.get("household_visit")
    slots = {s.slot: s for s in form.attachment_slots}
    assert list(slots) == PHOTO_SLOTS + SIGNATURE_SLOTS + LETTER_SLOTS
    assert form.required_slots == tuple(PHOTO_SLOTS + SIGNATURE_SLOTS)
    stove = form.slot("photo.stove")
    assert (stove.kind, stove.label_zh, stove.min_width, stove.min_height) == ("photo", "灶前", 640, 480)
    assert set(stove.content_types) == {"image/jpeg", "image/png"}
    head = form.slot("signature.household_head")
    assert (head.kind, head.label_zh, head.min_width, head.min_height) == ("signature", "贫困户", 200, 80)
    with pytest.raises(UnknownSlot):
        form.slot("photo.toilet")


def test_household_visit_sample_answers_validate(registry):
    form = registry.get("household_visit")
    cleaned = validate_answers(form, visit_answers())
    assert cleaned["income"]["total_net_income"] == 18000.0
    assert len(cleaned["education"]["children"]) == 2


def test_household_visit_conditional_questions(registry):
    form = registry.get("household_visit")
    assert errors(form, visit_answers(housing={"grade": "C"})) == {
        "housing": {"repair_plan": ["必填 Required"]}
    }
    assert errors(form, visit_answers(talk={"satisfaction": "dissatisfied"})) == {
        "talk": {"dissatisfaction_reason": ["必填 Required"]}
    }
    no_children = visit_answers(education={"has_school_age_children": False})
    assert "children" not in validate_answers(form, no_children)["education"]
    dropout = visit_answers()
    dropout["education"]["children"][1] = {
        "name": "王小红",
        "age": 14,
        "stage": "junior_secondary",
        "in_school": False,
    }
    assert errors(form, dropout) == {
        "education": {
            "children": {"1": {"dropout_reason": ["必填 Required"], "persuaded_back": ["必填 Required"]}}
        }
    }
    away = visit_answers(record_check={"head_present": False, "member_count_matches": False})
    assert errors(form, away) == {
        "record_check": {"respondent_name": ["必填 Required"], "discrepancy_note": ["必填 Required"]}
    }


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"overall": "satisfied"}, None),
        ({"overall": "basically_satisfied", "comments": "还行"}, None),
        ({"overall": "dissatisfied"}, {"reasons": ["必填 Required"]}),
        ({"overall": "dissatisfied", "reasons": ["other"]}, {"reason_detail": ["必填 Required"]}),
        (SATISFACTION_DISSATISFIED, None),
        (
            {"overall": "满意"},
            {
                "overall": [
                    "不是有效选项 Not one of the choices: satisfied, basically_satisfied, dissatisfied"
                ]
            },
        ),
        ({}, {"overall": ["必填 Required"]}),
    ],
)
def test_satisfaction_survey(registry, answers, expected):
    assert errors(registry.get("satisfaction_survey"), answers) == expected


# --- malformed definitions: each problem names the file and the JSON path ----------------------------


def _broken(tmp_path, change) -> list[str]:
    forms = copy_forms(tmp_path)
    path = forms / "household_visit" / "v1.yaml"
    doc = parse_yaml(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    return check_forms(forms)


def _drop_choice_code(doc):
    del doc["fields"][6]["fields"][0]["choices"][0]["code"]


def _relevant(path, **cond):
    def change(doc):
        doc["fields"][6]["fields"][1]["relevant"] = {"field": path, **cond}

    return change


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            _drop_choice_code,
            "forms/household_visit/v1.yaml: fields[6].fields[0].choices[0]: 'code' is a required property",
        ),
        (lambda d: d["fields"][5].update(type="textt"), "fields[5].type: 'textt' is not one of"),
        (
            lambda d: d["fields"][5].update(colour="red"),
            "fields[5]: Additional properties are not allowed ('colour'",
        ),
        (lambda d: d["fields"][5]["label"].pop("en"), "fields[5].label: 'en' is a required property"),
        (
            lambda d: d["fields"][6]["fields"][0].pop("choices"),
            "fields[6].fields[0]: 'choices' is a required property",
        ),
        (lambda d: d["fields"][1].pop("slot"), "fields[1]: 'slot' is a required property"),
        (
            lambda d: d["fields"][1].update(slot="photo.garden"),
            "fields[1].slot: no attachment slot 'photo.garden'",
        ),
        (
            lambda d: d["fields"][1].update(slot="signature.household_head"),
            "fields[1].slot: 'signature.household_head' is a signature slot",
        ),
        (
            lambda d: d["attachments"][0].update(kind="letter"),
            "attachments[0].slot: a letter slot's name starts with 'letter.'",
        ),
        (
            lambda d: d["attachments"][1].update(slot="photo.front_of_house"),
            "attachments[1].slot: duplicate slot 'photo.front_of_house'",
        ),
        (
            lambda d: d["attachments"][0].update(content_types=["image/gif"]),
            "attachments[0].content_types[0]: 'image/gif' is not one of",
        ),
        (
            lambda d: d["fields"][5]["fields"].append(copy.deepcopy(d["fields"][5]["fields"][0])),
            "fields[5].fields[5].name: duplicate field name 'record_matches'",
        ),
        (
            lambda d: d["fields"][5]["fields"][0].update(constraints={"pattern": "x"}),
            "fields[5].fields[0].constraints.pattern: 'pattern' does not apply to boolean fields",
        ),
        (
            lambda d: d["fields"][12]["fields"][6].update(constraints={"min": 5, "max": 1}),
            "fields[12].fields[6].constraints: min 5 is greater than max 1",
        ),
        (
            lambda d: d["fields"][12]["fields"][6].update(constraints={"min": 1.5}),
            "fields[12].fields[6].constraints.min: 1.5 is not a whole number",
        ),
        (
            lambda d: d["fields"][10]["fields"][2].update(
                relevant={"field": "housing.repair_plan", "op": "eq"}
            ),
            "fields[10].fields[2].relevant: 'value' is a required property",
        ),
        (
            _relevant("talk.nope", op="eq", value=1),
            "fields[6].fields[1].relevant.field: no field 'talk.nope' in this form",
        ),
        (
            _relevant("talk.satisfaction", op="eq", value="angry"),
            "fields[6].fields[1].relevant.value: 'angry' is not a choice code",
        ),
        (
            _relevant("talk.needs_other", op="truthy"),
            "relevant.field: 'talk.needs_other' is not shown before this field",
        ),
        (
            _relevant("talk.satisfaction", op="gt", value="x"),
            "relevant.op: 'gt' needs a number or date field",
        ),
        (
            _relevant("education.children.age", op="gt", value=6),
            "'education.children.age' is inside repeat 'education.children'; reach it with every/some",
        ),
        (
            _relevant("record_check", op="truthy"),
            "'record_check' is of type group and has no value to compare",
        ),
        (
            lambda d: d["assessment"]["income"].update(size_field="income.total_net_income"),
            "assessment.income.size_field: 'income.total_net_income' must be a field of type integer",
        ),
        (
            lambda d: d["assessment"]["income"].update(standard="no_such_line"),
            "assessment.income.standard: no standards file standards/no_such_line.yaml",
        ),
        (
            lambda d: d["assessment"]["indicators"][5].update(
                passes_when={"field": "income.income_documented", "op": "truthy"}
            ),
            "assessment.indicators[5]: give either 'passes_when' or 'rule'",
        ),
        (
            lambda d: d.update(version=3),
            "forms/household_visit/v1.yaml: version: 3 differs from file name v1",
        ),
        (lambda d: d.update(form_id="other"), "form_id: 'other' differs from folder 'household_visit'"),
    ],
)
def test_malformed_definition_names_file_and_path(tmp_path, change, problem):
    problems = _broken(tmp_path, change)
    assert any(problem in p for p in problems), problems
    assert all(p.startswith("forms/") for p in problems)


def test_loader_refuses_a_malformed_form(tmp_path):
    with pytest.raises(FormDefinitionError) as raised:
        forms = copy_forms(tmp_path)
        (forms / "household_visit" / "v1.yaml").write_text("form_id: household_visit\nversion: 1\n")
        load_registry(forms)
    assert "forms/household_visit/v1.yaml: (root)" not in str(raised.value)
    assert any(
        p.startswith("forms/household_visit/v1.yaml: 'status' is a required property")
        for p in raised.value.problems
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("form_id: [unclosed\n", "forms/satisfaction_survey/v1.yaml: not valid YAML"),
        ("form_id: a\nform_id: b\n", "duplicate key 'form_id'"),
    ],
)
def test_bad_yaml(tmp_path, text, problem):
    forms = copy_forms(tmp_path)
    (forms / "satisfaction_survey" / "v1.yaml").write_text(text)
    assert any(problem in p for p in check_forms(forms))


def test_yes_and_no_are_text_not_booleans():
    assert parse_yaml("a: yes\nb: no\nc: true\nd: 2020-01-01\n") == {
        "a": "yes",
        "b": "no",
        "c": True,
        "d": "2020-01-01",
    }
    doc = definition(
        field("x", "boolean"),
        field("y", "text", relevant={"field": "x", "op": "eq", "value": "yes"}),
    )
    with pytest.raises(FormDefinitionError, match=r"relevant.value: 'yes' is not true or false"):
        parse_form(doc)


def test_misnamed_files_and_standards(tmp_path):
    forms = copy_forms(tmp_path)
    shutil.copy(forms / "satisfaction_survey" / "v1.yaml", forms / "satisfaction_survey" / "version2.yaml")
    (forms / "standards" / "income_thresholds.yaml").write_text(
        "standard: income_thresholds\ntitle: {zh: 标准, en: Line}\nthresholds:\n"
        "  - {region: national, from_year: 2020, amount: 4000}\n"
        "  - {region: national, from_year: 2020, amount: 4100}\n"
    )
    problems = check_forms(forms)
    assert "forms/satisfaction_survey/version2.yaml: file name should be v<version>.yaml" in problems
    assert any(
        p.startswith("forms/standards/income_thresholds.yaml: thresholds: more than one") for p in problems
    )


# --- the lock: published versions are immutable -----------------------------------------------------


def test_changed_published_version_is_refused(tmp_path):
    forms = copy_forms(tmp_path)
    path = forms / "household_visit" / "v1.yaml"
    path.write_text(path.read_text().replace("{zh: 灶前, en: Stove}", "{zh: 厨房, en: Kitchen}"))
    expected = "forms/household_visit/v1.yaml: content no longer matches its sha256 in published.lock.json"
    assert any(p.startswith(expected) for p in check_forms(forms))
    with pytest.raises(FormDefinitionError, match="content no longer matches"):
        load_registry(forms)
    with pytest.raises(FormDefinitionError, match="published versions are immutable, create v2 instead"):
        publish(forms, "household_visit", 1)


def test_comments_and_layout_are_not_content(tmp_path):
    forms = copy_forms(tmp_path)
    path = forms / "satisfaction_survey" / "v1.yaml"
    doc = parse_yaml(path.read_text())
    path.write_text("# rewritten in block style\n" + yaml.safe_dump(doc, allow_unicode=True))
    assert check_forms(forms) == []


def test_deleted_or_unrecorded_published_versions(tmp_path):
    forms = copy_forms(tmp_path)
    (forms / "satisfaction_survey" / "v1.yaml").unlink()
    assert check_forms(forms) == [
        "forms/published.lock.json: satisfaction_survey/v1: published version is missing (published versions "
        "stay, so that old submissions keep validating)"
    ]
    lock = json.loads((forms / LOCK_FILE).read_text())
    del lock["satisfaction_survey/v1"]
    (forms / LOCK_FILE).write_text(json.dumps(lock))
    shutil.copy(SHIPPED / "satisfaction_survey" / "v1.yaml", forms / "satisfaction_survey" / "v1.yaml")
    assert check_forms(forms) == [
        "forms/satisfaction_survey/v1.yaml: marked published but not in published.lock.json; "
        "run publish to record it"
    ]


def test_publish_records_a_draft_and_then_freezes_it(tmp_path):
    forms = copy_forms(tmp_path)
    shutil.copy(FIXTURES / "household_visit" / "v2.yaml", forms / "household_visit" / "v2.yaml")
    assert check_forms(forms) == []  # a draft needs no lock entry
    assert load_registry(forms).get("household_visit").version == 1  # drafts are not served
    digest = publish(forms, "household_visit", 2)
    text = (forms / "household_visit" / "v2.yaml").read_text()
    assert "status: published" in text and "# TEST FIXTURE ONLY" in text  # comments kept
    assert json.loads((forms / LOCK_FILE).read_text())["household_visit/v2"] == digest
    assert publish(forms, "household_visit", 2) == digest  # idempotent
    assert load_registry(forms).get("household_visit").digest == digest
    (forms / "household_visit" / "v2.yaml").write_text(text.replace("使用卫生厕所", "有卫生厕所"))
    assert any("v2.yaml: content no longer matches" in p for p in check_forms(forms))


def test_publish_refuses_a_bad_draft(tmp_path):
    forms = copy_forms(tmp_path)
    (forms / "household_visit" / "v2.yaml").write_text(
        "form_id: household_visit\nversion: 2\nstatus: draft\n"
    )
    with pytest.raises(FormDefinitionError, match="'title' is a required property"):
        publish(forms, "household_visit", 2)
    assert "household_visit/v2" not in json.loads((forms / LOCK_FILE).read_text())


# --- a second version: old answers keep validating against the version they were filled in with -------


@pytest.fixture
def two_versions(tmp_path):
    forms = copy_forms(tmp_path)
    shutil.copy(FIXTURES / "household_visit" / "v2.yaml", forms / "household_visit" / "v2.yaml")
    publish(forms, "household_visit", 2)
    return load_registry(forms)


def test_v1_answers_still_validate_under_v1_while_v2_rejects_them(two_versions):
    v1_answers = visit_answers()
    assert two_versions.get("household_visit").version == 2
    assert two_versions.versions("household_visit") == [1, 2]
    assert validate_answers(two_versions.get("household_visit", 1), v1_answers)
    assert errors(two_versions.get("household_visit", 2), v1_answers) == {
        "living": {"sanitary_toilet": ["必填 Required"]}
    }
    v2_answers = visit_answers(living={"sanitary_toilet": True})
    assert validate_answers(two_versions.get("household_visit", 2), v2_answers)
    assert errors(two_versions.get("household_visit", 1), v2_answers) == {
        "living": {"sanitary_toilet": ["未知字段 Unknown field"]}
    }


def test_each_version_assesses_with_its_own_income_line(two_versions):
    answers = visit_answers(living={"sanitary_toilet": True})  # 18000 yuan / 4 people = 4500
    v1 = assess(two_versions.get("household_visit", 1), answers, year=2020, area_code="370101001001")
    v2 = assess(two_versions.get("household_visit", 2), answers, year=2020, area_code="370101001001")
    assert (v1.threshold, v1.income_passed) == (4500, True)
    assert (v2.threshold, v2.income_passed) == (5000, False)


# --- the command-line entry points -------------------------------------------------------------------


def test_check_forms_command(tmp_path):
    runner = CliRunner()
    result = runner.invoke(check_forms_command, ["--dir", str(SHIPPED)])
    assert (result.exit_code, result.output.strip()) == (0, "forms ok")
    forms = copy_forms(tmp_path)
    (forms / "satisfaction_survey" / "v1.yaml").write_text("form_id: [\n")
    result = runner.invoke(check_forms_command, ["--dir", str(forms)])
    assert result.exit_code == 1
    assert "forms/satisfaction_survey/v1.yaml: not valid YAML" in result.output


def test_publish_form_command(tmp_path):
    forms = copy_forms(tmp_path)
    shutil.copy(FIXTURES / "household_visit" / "v2.yaml", forms / "household_visit" / "v2.yaml")
    result = CliRunner().invoke(publish_form_command, ["household_visit", "2", "--dir", str(forms)])
    assert result.exit_code == 0, result.output
    assert "household_visit v2 published sha256=" in result.output
    result = CliRunner().invoke(publish_form_command, ["household_visit", "7", "--dir", str(forms)])
    assert result.exit_code == 1
    assert "forms/household_visit/v7.yaml: no such form version file" in result.output
