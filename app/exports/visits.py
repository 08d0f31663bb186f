"""Visits as rows: which visits an export holds, and the rows of its tables, produced one visit at a time.

The visits are read in batches as plain documents (no caching), so memory does not grow with the export.
Tables: 走访 (one row per visit: the visit, its campaign tag, check summary, assessment, review decision,
then one column per question), one table per repeat (one row per entry), and 核查结果 (one row per check
result). Times are China times.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from app.areas.models import Area
from app.auth.principal import Principal
from app.campaigns.models import PHASE_LABELS
from app.campaigns.schedule import china_midnight
from app.clock import CHINA_TZ
from app.exports.columns import FormColumns, RepeatTable, form_columns
from app.forms.registry import FormRegistry
from app.labels import CHECKS, DECISIONS, SEVERITIES, VISIT_STATES, label
from app.visits.models import Visit

BATCH = 500
FIELDS = (
    "id", "form_id", "form_version", "household_id", "household_number", "area_path", "cadre", "started_at",
    "ended_at", "lat", "lon", "accuracy_m", "state", "campaign_id", "phase", "team", "submitted_at",
    "checked_at", "checks", "assessment", "review", "answers",
)  # fmt: skip
VISIT_HEADERS = [
    "走访ID", "表单", "表单版本", "户编号", "市", "县", "镇（乡）", "村", "村代码", "走访干部", "开始时间",
    "结束时间", "纬度", "经度", "定位精度（米）", "状态", "核查活动ID", "核查阶段", "互查组", "提交时间",
    "自动核查时间", "未通过核查项", "核查警告", "两不愁三保障及收入全部达标", "人均纯收入", "收入标准",
    "审核决定", "审核意见", "审核人", "审核时间",
]  # fmt: skip
CHECK_HEADERS = ["走访ID", "户编号", "核查项", "核查项名称", "结果", "级别", "附件位置", "说明"]
ENTRY_HEADERS = ["走访ID", "户编号", "序号"]


@dataclass(frozen=True)
class VisitFilter:
    area: str | None = None
    form_id: str | None = None
    state: str | None = None
    since: date | None = None  # China dates of the visit's start, inclusive
    until: date | None = None
    campaign_id: str | None = None
    phase: str | None = None

    def as_dict(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items() if v}

    @classmethod
    def from_dict(cls, data: dict) -> VisitFilter:
        dates = {k: date.fromisoformat(data[k]) for k in ("since", "until") if data.get(k)}
        return cls(**({k: v for k, v in data.items() if k not in dates} | dates))


def export_query(principal: Principal, filters: VisitFilter):
    """The visits an export holds: in the caller's areas, filtered, oldest first."""
    principal.require("visits.read")
    query = Visit.objects(principal.scope())
    if filters.area:
        query = query.in_area(filters.area)
    for name in ("form_id", "state", "campaign_id", "phase"):
        if getattr(filters, name):
            query = query.filter(**{name: getattr(filters, name)})
    if filters.since:
        query = query.filter(started_at__gte=china_midnight(filters.since))
    if filters.until:
        query = query.filter(started_at__lt=china_midnight(date.fromordinal(filters.until.toordinal() + 1)))
    return query.order_by("created_at", "id")


def batches(query) -> Iterator[dict]:
    """Every visit of the query as a plain document, read BATCH at a time."""
    yield from query.only(*FIELDS).as_pymongo().batch_size(BATCH).no_cache()


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S") if value.tzinfo else value.isoformat(" ")


class VisitTables:
    """The columns of an export over some forms, and its rows, visit by visit."""

    def __init__(self, forms: FormRegistry, form_ids: list[str]):
        self.forms = [
            form_columns([forms.get(f, v) for v in forms.versions(f)]) for f in form_ids if forms.versions(f)
        ]
        self.by_id = {f.form_id: f for f in self.forms}
        self.names: dict[str, str] = {}  # area code -> name, looked up batch by batch
        several = len(self.forms) > 1
        self.answer_headers = [
            (f"{f.title}{'·' if several else ''}" if several else "") + c.header
            for f in self.forms
            for c in f.columns
        ]
        self.headers = VISIT_HEADERS + self.answer_headers
        self.repeats: list[tuple[FormColumns, RepeatTable]] = [(f, t) for f in self.forms for t in f.repeats]

    def named(self, visits: Iterable[dict]) -> Iterator[dict]:
        """The visits, with the names of the areas on their paths looked up BATCH visits at a time."""
        batch: list[dict] = []
        for visit in visits:
            batch.append(visit)
            if len(batch) == BATCH:
                yield from self._name(batch)
                batch = []
        yield from self._name(batch)

    def _name(self, batch: list[dict]) -> list[dict]:
        unknown = {code for v in batch for code in v.get("area_path") or ()} - self.names.keys()
        if unknown:
            self.names |= dict(Area.objects(code__in=sorted(unknown)).scalar("code", "name"))
            self.names |= {code: code for code in unknown - self.names.keys()}
        return batch

    def repeat_headers(self, table: RepeatTable) -> list[str]:
        return ENTRY_HEADERS + [c.header for c in table.columns]

    def visit_row(self, v: dict) -> list:
        path = (list(v.get("area_path") or []) + [""] * 5)[:5]
        checks = v.get("checks") or []
        failed = [c for c in checks if not c.get("passed") and c.get("severity") == "error"]
        warned = [c for c in checks if not c.get("passed") and c.get("severity") == "warning"]
        assessment, review = v.get("assessment") or {}, v.get("review") or {}
        passed = assessment.get("all_passed")
        row = [
            str(v["_id"]),
            v.get("form_id"),
            v.get("form_version"),
            v.get("household_number"),
            *(self.names.get(code, code) for code in path[1:5]),
            path[4],
            v.get("cadre"),
            _time(v.get("started_at")),
            _time(v.get("ended_at")),
            v.get("lat"),
            v.get("lon"),
            v.get("accuracy_m"),
            label(VISIT_STATES, v.get("state")),
            v.get("campaign_id"),
            PHASE_LABELS.get(v.get("phase") or "", None),
            v.get("team"),
            _time(v.get("submitted_at")),
            _time(v.get("checked_at")),
            "、".join(_check_name(c) for c in failed) or None,
            "、".join(_check_name(c) for c in warned) or None,
            None if passed is None else ("是" if passed else "否"),
            assessment.get("per_capita_income"),
            assessment.get("threshold"),
            label(DECISIONS, review.get("decision")) or None,
            review.get("comment"),
            review.get("reviewer_name") or review.get("reviewer"),
            _time(review.get("at")),
        ]
        answers = v.get("answers") or {}
        for form in self.forms:
            mine = form.form_id == v.get("form_id")
            row += [c.value(answers) if mine else None for c in form.columns]
        return row

    def entry_rows(self, v: dict) -> Iterator[tuple[RepeatTable, list]]:
        form = self.by_id.get(v.get("form_id"))
        if form is None:
            return
        for table in form.repeats:
            for number, entry in enumerate(table.entries(v.get("answers")), start=1):
                yield (
                    table,
                    [
                        str(v["_id"]),
                        v.get("household_number"),
                        number,
                        *(c.value(entry) for c in table.columns),
                    ],
                )

    @staticmethod
    def check_rows(v: dict) -> Iterator[list]:
        for c in v.get("checks") or []:
            yield [
                str(v["_id"]), v.get("household_number"), c.get("code"), label(CHECKS, c.get("code")),
                "通过" if c.get("passed") else "未通过", label(SEVERITIES, c.get("severity")), c.get("slot"),
                c.get("detail"),
            ]  # fmt: skip


def _check_name(check: dict) -> str:
    name = label(CHECKS, check.get("code"))
    return f"{name}[{check['slot']}]" if check.get("slot") else name


def tables_for(forms: FormRegistry, form_id: str | None) -> VisitTables:
    """The tables of an export: the form asked for, or every published form, one after another.

    (Not the forms and areas the visits use: `distinct` over a large export costs a pass of its own.)"""
    return VisitTables(forms, [form_id] if form_id else [f.form_id for f in forms.list()])
