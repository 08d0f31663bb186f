"""The household lifecycle in the verification report (脱贫享受政策, 监测对象 by type, 返贫 this year, ...).

Two aggregations per report area, grouped by child area: households by their poverty status now, and
this year's poverty events (app.households.poverty records one per change). Kept apart from the
verification figures so that it can become per-area counters (every change goes through
app.households.poverty, where a counter would hook in) without touching the rest of the report.

- status counts (…户): households whose poverty status is it now; 监测对象 = the three monitored types.
- this year (本年…): events recorded in the report year (China time): 脱贫 lift_out, 返贫 relapse,
  新识别 identify, 纳入监测 monitor, 清退 remove, 自然减员 dissolve, 即时帮扶 assist (times given).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from app.areas.models import Area
from app.households.models import Household, PovertyEvent
from app.households.poverty import MONITORED
from app.reports.aggregation import child, count_if


@dataclass(frozen=True)
class LifecycleColumn:
    key: str
    label: str


STATUS_FIGURES = {
    "poor": "贫困户（未脱贫）",
    "lifted_supported": "脱贫户（享受政策）",
    "lifted_unsupported": "脱贫户（不享受政策）",
    "unstable": "脱贫不稳定户",
    "marginal": "边缘易致贫户",
    "sudden_hardship": "突发严重困难户",
    "relapsed": "返贫户",
    "candidate": "识别中候选户",
}
EVENT_FIGURES = {
    "lift_out": "本年脱贫",
    "relapse": "本年返贫",
    "identify": "本年新识别",
    "monitor": "本年纳入监测",
    "remove": "本年清退",
    "dissolve": "本年自然减员",
    "assist": "本年即时帮扶次数",
}
COLUMNS = (
    *(LifecycleColumn(f"lifecycle.{s}", label) for s, label in STATUS_FIGURES.items()),
    LifecycleColumn("lifecycle.monitored", "监测对象"),
    *(LifecycleColumn(f"lifecycle.{e}_this_year", label) for e, label in EVENT_FIGURES.items()),
)
DEFINITIONS = (
    ("贫困户 … 识别中候选户", "当前贫困状态为该类的户 Households whose poverty status is that now"),
    ("监测对象", "脱贫不稳定户 + 边缘易致贫户 + 突发严重困难户 Monitored households of all three types"),
    ("本年…", "报表年度内记录的状态变化（即时帮扶为次数）Changes recorded in the report year"),
)


def status_pipeline(code: str, depth: int) -> list[dict]:
    groups = {status: count_if({"$eq": ["$poverty_status", status]}) for status in STATUS_FIGURES}
    return [{"$match": {"area_path": code}}, {"$group": {"_id": child(depth), **groups}}]


def event_pipeline(code: str, depth: int, year: int) -> list[dict]:
    groups = {f"{e}_this_year": count_if({"$eq": ["$event", e]}) for e in EVENT_FIGURES}
    return [
        {"$match": {"area_path": code, "year": year, "event": {"$in": list(EVENT_FIGURES)}}},
        {"$group": {"_id": child(depth), **groups}},
    ]


def lifecycle_counts(area: Area, year: int) -> dict[str, Counter]:
    """Raw lifecycle counts per child code ("" for households filed directly under the area)."""
    depth = len(area.path)
    counts: dict[str, Counter] = {}
    for document, pipeline in (
        (Household, status_pipeline(area.code, depth)),
        (PovertyEvent, event_pipeline(area.code, depth, year)),
    ):
        for row in document.objects.aggregate(pipeline):
            counts.setdefault(row.pop("_id"), Counter()).update(row)
    return counts


def lifecycle_figures(counts: Counter) -> dict:
    """A report row's lifecycle figures from its raw counts."""
    figures = {status: counts[status] for status in STATUS_FIGURES}
    figures["monitored"] = sum(counts[status] for status in MONITORED)
    return figures | {f"{e}_this_year": counts[f"{e}_this_year"] for e in EVENT_FIGURES}
