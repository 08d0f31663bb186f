"""What the ledger's deadlines and the verification outcomes add to the verification report: overdue
ledger items and the two accuracy rates the documents score counties on (贫困人口识别和退出准确率).

Both rates are read from verification outcomes: each household's latest approved visit that carries an
assessment (the 入户核查 form), i.e. the households a verifier has signed off.

- 识别准确率 identification accuracy = households whose verification confirmed their registration record
  (二核对: 档案信息与实际情况一致 and 家庭人口与档案一致 both answered yes) / verified households that
  answered both. A household whose record did not match is counted as 错评 (misidentified).
- 退出准确率 exit accuracy = households whose verification found them meeting the exit standard (两不愁
  三保障 and per-capita income at or above the line: the assessment passed every indicator) / verified
  households. Each verified household counts as reported out of poverty: the campaigns the documents
  describe verify the 脱贫质量 of households reported as lifted out. One that fails is 错退 (wrongly
  exited). Once the household lifecycle records exits (issue 14), the denominator narrows to those.

Rates are percentages with one decimal, null when there is nothing to divide by.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from app.rectification.deadlines import today
from app.rectification.models import RectificationItem
from app.visits.models import Visit

COLUMNS = (
    ("problems_overdue", "整改逾期", "count"),
    ("verified", "已核定户数", "count"),
    ("identification_accuracy", "识别准确率", "percent"),
    ("exit_accuracy", "退出准确率", "percent"),
)
DEFINITIONS = (
    ("整改逾期", "未销号且已过整改时限的台账事项 Open ledger items past their deadline"),
    ("已核定户数", "最近一次核查走访已审核通过且有评估的户 Households with an approved, assessed visit"),
    (
        "识别准确率",
        "核查确认档案信息、家庭人口均与实际一致的户 / 作答的已核定户 (%) Record confirmed / verified",
    ),
    (
        "退出准确率",
        "核查评估两不愁三保障及收入全部达标的户 / 已核定户 (%) Meets the exit standard / verified",
    ),
)


def _count_if(condition: dict) -> dict:
    return {"$sum": {"$cond": [condition, 1, 0]}}


def _is_bool(field: str) -> dict:
    return {"$in": [field, [True, False]]}


def overdue_pipeline(code: str, depth: int, child) -> list[dict]:
    """Open ledger items past their deadline (a China date) by child area."""
    day = today()
    return [
        {
            "$match": {
                "area_path": code,
                "status": "open",
                "deadline": {"$lt": datetime(day.year, day.month, day.day)},
            }
        },
        {"$group": {"_id": child(depth), "problems_overdue": {"$sum": 1}}},
    ]


def accuracy_pipeline(code: str, depth: int, child) -> list[dict]:
    """Per child area: verified households, record confirmed (of those answering), exit standard met."""
    record = "$record"
    return [
        {"$match": {"area_path": code, "state": "approved", "assessment.indicators.0": {"$exists": True}}},
        {"$sort": {"decided_at": 1}},
        {
            "$group": {
                "_id": "$household_id",
                "child": {"$last": child(depth)},
                "record": {"$last": "$answers.record_check"},
                "passed": {"$last": "$assessment.all_passed"},
            }
        },
        {
            "$group": {
                "_id": "$child",
                "verified": {"$sum": 1},
                "record_answered": _count_if(
                    {
                        "$and": [
                            _is_bool(f"{record}.record_matches"),
                            _is_bool(f"{record}.member_count_matches"),
                        ]
                    }
                ),
                "record_confirmed": _count_if(
                    {
                        "$and": [
                            {"$eq": [f"{record}.record_matches", True]},
                            {"$eq": [f"{record}.member_count_matches", True]},
                        ]
                    }
                ),
                "exit_standard_met": _count_if({"$eq": ["$passed", True]}),
            }
        },
    ]


PIPELINES = ((RectificationItem, overdue_pipeline), (Visit, accuracy_pipeline))


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def figures(counts: Counter) -> dict:
    """This module's figures of one report row, from its raw counts."""
    return {
        "problems_overdue": counts["problems_overdue"],
        "verified": counts["verified"],
        "misidentified": counts["record_answered"] - counts["record_confirmed"],
        "identification_accuracy": _rate(counts["record_confirmed"], counts["record_answered"]),
        "wrongly_exited": counts["verified"] - counts["exit_standard_met"],
        "exit_accuracy": _rate(counts["exit_standard_met"], counts["verified"]),
    }
