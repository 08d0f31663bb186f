"""What the ledger's deadlines and the verification outcomes add to the verification report: overdue
ledger items and the two accuracy rates the documents score counties on (贫困人口识别和退出准确率).

Both rates are read from verification outcomes, i.e. what a verifier has signed off:

- 识别准确率 identification accuracy = households whose latest approved verification visit confirmed their
  registration record (二核对: 档案信息与实际情况一致 and 家庭人口与档案一致 both answered yes) / verified
  households that answered both (`verified`: households with an approved visit carrying an assessment).
  A household whose record did not match is counted as 错评 (misidentified).
- 退出准确率 exit accuracy = households reported out of poverty (by their poverty status: 脱贫户
  享受政策 / 不享受政策, and 脱贫不稳定户) with an approved verification whose latest assessment
  meets the exit standard (两不愁三保障 and per-capita income at or above the line: every indicator
  passed) / such households with an approved verification. One that fails is 错退 (wrongly exited).

Rates are percentages with one decimal, null when there is nothing to divide by.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from app.households.models import Household
from app.rectification.deadlines import today
from app.rectification.models import RectificationItem
from app.reports.aggregation import child, count_if, rate
from app.visits.models import Visit

EXITED = ("lifted_supported", "lifted_unsupported", "unstable")  # reported out of poverty
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
        "已审核的脱贫户中评估两不愁三保障及收入全部达标的户 / 已审核的脱贫户 (%) Exited households meeting "
        "the exit standard / exited households with an approved verification",
    ),
)


def _is_bool(field: str) -> dict:
    return {"$in": [field, [True, False]]}


def overdue_pipeline(code: str, depth: int) -> list[dict]:
    """Open ledger items past their deadline (a China date) by child area."""
    day = today()
    due = datetime(day.year, day.month, day.day)
    return [
        {"$match": {"area_path": code, "status": "open", "deadline": {"$lt": due}}},
        {"$group": {"_id": child(depth), "problems_overdue": {"$sum": 1}}},
    ]


def identification_pipeline(code: str, depth: int) -> list[dict]:
    """Per child area: verified households and, of those answering, records the verification confirmed."""
    record = "$record"
    return [
        {"$match": {"area_path": code, "state": "approved", "assessment.indicators.0": {"$exists": True}}},
        {"$sort": {"decided_at": 1}},
        {
            "$group": {
                "_id": "$household_id",
                "child": {"$last": child(depth)},
                "record": {"$last": "$answers.record_check"},
            }
        },
        {
            "$group": {
                "_id": "$child",
                "verified": {"$sum": 1},
                "record_answered": count_if(
                    {
                        "$and": [
                            _is_bool(f"{record}.record_matches"),
                            _is_bool(f"{record}.member_count_matches"),
                        ]
                    }
                ),
                "record_confirmed": count_if(
                    {
                        "$and": [
                            {"$eq": [f"{record}.record_matches", True]},
                            {"$eq": [f"{record}.member_count_matches", True]},
                        ]
                    }
                ),
            }
        },
    ]


def exit_pipeline(code: str, depth: int) -> list[dict]:
    """Per child area: exited households with an approved verification, and those meeting the standard."""
    return [
        {
            "$match": {
                "area_path": code,
                "poverty_status": {"$in": list(EXITED)},
                "verified_visit_id": {"$nin": [None, ""]},
            }
        },
        {
            "$group": {
                "_id": child(depth),
                "exit_verified": {"$sum": 1},
                "exit_standard_met": count_if({"$eq": ["$latest_assessment.all_passed", True]}),
            }
        },
    ]


PIPELINES = (
    (RectificationItem, overdue_pipeline),
    (Visit, identification_pipeline),
    (Household, exit_pipeline),
)


def figures(counts: Counter) -> dict:
    """This module's figures of one report row, from its raw counts."""
    return {
        "problems_overdue": counts["problems_overdue"],
        "verified": counts["verified"],
        "misidentified": counts["record_answered"] - counts["record_confirmed"],
        "identification_accuracy": rate(counts["record_confirmed"], counts["record_answered"]),
        "exit_verified": counts["exit_verified"],
        "wrongly_exited": counts["exit_verified"] - counts["exit_standard_met"],
        "exit_accuracy": rate(counts["exit_standard_met"], counts["exit_verified"]),
    }
