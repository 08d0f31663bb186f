"""The verification progress report (核查进度统计): one row per child area plus a total.

Every figure is counted in the database: four aggregation pipelines ($match on the indexed
`area_path`, $group keyed by the child area's code, read from `area_path` at the child's depth),
whose few result rows are merged here. Definitions, for the API doc and the exports:

- households (户数): registered households in the area.
- visited (已走访): households whose record points to a submitted visit (`latest_visit_id`, set when
  a visit of the household reaches `submitted`, i.e. all its required photos and signatures arrived).
  Visits still `receiving` do not count. coverage (走访覆盖率) = visited / households.
- pending_review (待审核), approved (已通过), sent_back (退回): visits (not households) now in
  checked|has_issues, approved, rejected|revisit_requested; a visit counts in the area it was made in.
- pass_rates (…达标率): per indicator, households whose latest assessment passed it over households
  whose latest assessment has it.
- below_income_threshold (收入低于标准户数): households whose latest assessment has income_passed false.
- satisfaction_rate (满意度): (satisfied + basically_satisfied) / households that answered.
- problems_open / problems_closed (整改未销号 / 整改已销号): rectification ledger items by status.
- helpers_in_place (帮扶责任人落实率): households with a helper (帮扶责任人) / households.

Rates are percentages with one decimal, null when there is nothing to divide by. Households filed
directly under the report area (not under any child) appear in a row of their own, `本级`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from app.areas.models import Area
from app.areas.service import area_in_scope
from app.auth.principal import Principal
from app.clock import now
from app.errors import ValidationFailed
from app.households.models import Household
from app.rectification.models import RectificationItem
from app.visits.models import Visit
from app.visits.states import REVIEWABLE

INDICATORS = {
    "food_clothing": "不愁吃穿达标率",
    "compulsory_education": "义务教育保障达标率",
    "basic_medical": "基本医疗保障达标率",
    "housing_safety": "住房安全保障达标率",
    "drinking_water": "饮水安全达标率",
    "income": "收入达标率",
}
SATISFIED = ["satisfied", "basically_satisfied"]
ANSWERS = [*SATISFIED, "dissatisfied"]
SENT_BACK = ["rejected", "revisit_requested"]
DIRECT = "本级"
DEFINITIONS = (
    ("已走访", "户的最近一次走访已提交（照片、签字齐全）Households whose latest visit was submitted"),
    ("走访覆盖率", "已走访 / 户数 (%)"),
    ("待审核 / 已通过 / 退回", "走访数：待审核、已通过、不通过或要求复访 Visits, not households"),
    ("…达标率", "最近一次评估达标户 / 有评估的户 (%) Over households with a latest assessment"),
    ("收入低于标准户数", "最近一次评估人均纯收入低于标准的户 Latest assessment below the income threshold"),
    ("满意度", "(满意 + 基本满意) / 作答户 (%)"),
    ("整改未销号 / 整改已销号", "整改台账事项 Rectification ledger items, open / closed"),
    ("帮扶责任人落实率", "有帮扶责任人的户 / 户数 (%)"),
    ("本级", "直接登记在本区划、不属于任何下级区划的户 Households filed directly under the area"),
)


@dataclass(frozen=True)
class Column:
    key: str  # dotted path into a row
    label: str
    kind: str  # text | count | percent


COLUMNS = (
    Column("code", "区划代码", "text"),
    Column("name", "区划名称", "text"),
    Column("households", "户数", "count"),
    Column("visited", "已走访", "count"),
    Column("coverage", "走访覆盖率", "percent"),
    Column("pending_review", "待审核", "count"),
    Column("approved", "已通过", "count"),
    Column("sent_back", "退回", "count"),
    *(Column(f"pass_rates.{code}", label, "percent") for code, label in INDICATORS.items()),
    Column("below_income_threshold", "收入低于标准户数", "count"),
    Column("satisfaction_rate", "满意度", "percent"),
    Column("problems_open", "整改未销号", "count"),
    Column("problems_closed", "整改已销号", "count"),
    Column("helpers_in_place", "帮扶责任人落实率", "percent"),
)


def report_area(principal: Principal, code: str | None) -> Area:
    """The area to report on: the one asked for, or the caller's only area; others' areas are 404."""
    if not code:
        if len(principal.area_codes) != 1:
            raise ValidationFailed(errors={"area": ["请指定区划 Choose an area (area=CODE)"]})
        code = principal.area_codes[0]
    return area_in_scope(principal, code)


def _child(depth: int) -> dict:
    # $ifNull: a document filed directly under the area has no element there; grouping on a missing
    # value is also what the embedded test server cannot do.
    return {"$ifNull": [{"$arrayElemAt": ["$area_path", depth]}, ""]}


def _count_if(condition: dict) -> dict:
    return {"$sum": {"$cond": [condition, 1, 0]}}


def _present(field: str) -> dict:
    return {"$ne": [{"$ifNull": [field, ""]}, ""]}


def household_pipeline(code: str, depth: int) -> list[dict]:
    """Households, visited, helpers, income below threshold and satisfaction, by child area."""
    assessment = "$latest_assessment"
    return [
        {"$match": {"area_path": code}},
        {
            "$group": {
                "_id": _child(depth),
                "households": {"$sum": 1},
                "visited": _count_if(_present("$latest_visit_id")),
                "with_helper": _count_if(_present("$helper_id")),
                "below_income_threshold": _count_if({"$eq": [f"{assessment}.income_passed", False]}),
                "satisfied": _count_if({"$in": [f"{assessment}.satisfaction", SATISFIED]}),
                "satisfaction_responses": _count_if({"$in": [f"{assessment}.satisfaction", ANSWERS]}),
                "assessed": _count_if({"$gt": [{"$size": {"$ifNull": [f"{assessment}.indicators", []]}}, 0]}),
            }
        },
    ]


def indicator_pipeline(code: str, depth: int) -> list[dict]:
    """Per child area and indicator: households assessed on it and households that passed it.

    Households are first grouped by their outcome pattern ([{code, passed}, ...]), of which there are
    few, and only those groups are unwound: the same counts as unwinding every household's
    indicators, with far fewer documents through the pipeline (2.5 s instead of 9 s for 20,000
    households on the embedded test server)."""
    outcome = {
        "$map": {
            "input": "$latest_assessment.indicators",
            "as": "i",
            "in": {"code": "$$i.code", "passed": "$$i.passed"},
        }
    }
    return [
        {"$match": {"area_path": code, "latest_assessment.indicators.0": {"$exists": True}}},
        {"$group": {"_id": {"child": _child(depth), "outcome": outcome}, "households": {"$sum": 1}}},
        {"$unwind": "$_id.outcome"},
        {
            "$group": {
                "_id": {"child": "$_id.child", "code": "$_id.outcome.code"},
                "assessed": {"$sum": "$households"},
                "passed": {"$sum": {"$cond": [{"$eq": ["$_id.outcome.passed", True]}, "$households", 0]}},
            }
        },
    ]


def visit_pipeline(code: str, depth: int) -> list[dict]:
    return [
        {"$match": {"area_path": code, "state": {"$in": [*REVIEWABLE, "approved", *SENT_BACK]}}},
        {
            "$group": {
                "_id": _child(depth),
                "pending_review": _count_if({"$in": ["$state", list(REVIEWABLE)]}),
                "approved": _count_if({"$eq": ["$state", "approved"]}),
                "sent_back": _count_if({"$in": ["$state", SENT_BACK]}),
            }
        },
    ]


def problem_pipeline(code: str, depth: int) -> list[dict]:
    return [
        {"$match": {"area_path": code}},
        {
            "$group": {
                "_id": _child(depth),
                "problems_open": _count_if({"$eq": ["$status", "open"]}),
                "problems_closed": _count_if({"$eq": ["$status", "closed"]}),
            }
        },
    ]


def count_by_child(area: Area) -> dict[str, Counter]:
    """Raw counts per child code ("" for documents filed directly under the area)."""
    depth = len(area.path)  # a child's code sits right after its parent's path
    counts: dict[str, Counter] = {}
    for document, pipeline in (
        (Household, household_pipeline),
        (Visit, visit_pipeline),
        (RectificationItem, problem_pipeline),
    ):
        for row in document.objects.aggregate(pipeline(area.code, depth)):
            counts.setdefault(row.pop("_id"), Counter()).update(row)
    for row in Household.objects.aggregate(indicator_pipeline(area.code, depth)):
        key, code = row["_id"]["child"], row["_id"]["code"]
        counts.setdefault(key, Counter()).update(
            {f"assessed__{code}": row["assessed"], f"passed__{code}": row["passed"]}
        )
    return counts


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def figures(counts: Counter) -> dict:
    """A report row's figures from its raw counts."""
    return {
        "households": counts["households"],
        "visited": counts["visited"],
        "coverage": _rate(counts["visited"], counts["households"]),
        "pending_review": counts["pending_review"],
        "approved": counts["approved"],
        "sent_back": counts["sent_back"],
        "assessed": counts["assessed"],
        "pass_rates": {
            code: _rate(counts[f"passed__{code}"], counts[f"assessed__{code}"]) for code in INDICATORS
        },
        "below_income_threshold": counts["below_income_threshold"],
        "satisfaction_responses": counts["satisfaction_responses"],
        "satisfaction_rate": _rate(counts["satisfied"], counts["satisfaction_responses"]),
        "problems_open": counts["problems_open"],
        "problems_closed": counts["problems_closed"],
        "with_helper": counts["with_helper"],
        "helpers_in_place": _rate(counts["with_helper"], counts["households"]),
    }


def verification_report(principal: Principal, area: str | None = None) -> dict:
    principal.require("reports.read")
    parent = report_area(principal, area)
    counts = count_by_child(parent)
    rows = [
        {"code": child.code, "name": child.name, "level": child.level}
        | figures(counts.get(child.code, Counter()))
        for child in Area.objects.children_of(parent.code).order_by("code")
    ]
    if counts.get(""):
        rows.append({"code": parent.code, "name": DIRECT, "level": parent.level} | figures(counts[""]))
    total = sum(counts.values(), Counter())
    return {
        "area": {"code": parent.code, "name": parent.name, "level": parent.level},
        "generated_at": now(),
        "generated_by": principal.username,
        "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in COLUMNS],
        "rows": rows,
        "total": {"code": parent.code, "name": "合计", "level": parent.level} | figures(total),
    }


def cell(row: dict, key: str):
    value = row
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def table(report: dict) -> tuple[list[Column], list[list]]:
    """The report as a table: the columns, then one list of cells per row, the total last."""
    return list(COLUMNS), [[cell(row, c.key) for c in COLUMNS] for row in [*report["rows"], report["total"]]]
