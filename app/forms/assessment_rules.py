"""Assessment against "两不愁三保障" and the income line, from rules the form declares as data.

Each indicator passes when its condition (app/forms/conditions.py) holds for the cleaned answers, or,
for `rule: income_threshold`, when per-capita net income is at or above the threshold for the visit's
year and the household's area. Thresholds come from forms/standards/<name>.yaml or the form itself:
the most specific region prefix that has an entry for the year wins ("3713" over "37" over "national"),
and an entry applies from its `from_year` until a later one for the same region.
Pure Python: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any

from app.forms.conditions import evaluate, resolve
from app.forms.fields import Label

if TYPE_CHECKING:
    from app.forms.version import FormVersion

INCOME_RULE = "income_threshold"


class AssessmentUnavailable(LookupError):
    """The form has no assessment rules, or no income threshold covers the year and area."""


@dataclass(frozen=True)
class Threshold:
    region: str  # "national" or an area code prefix
    from_year: int
    amount: float

    def covers(self, year: int, area_code: str) -> bool:
        return self.from_year <= year and (self.region == "national" or area_code.startswith(self.region))

    @property
    def rank(self) -> tuple[int, int]:
        return (0 if self.region == "national" else len(self.region), self.from_year)


@dataclass(frozen=True)
class Indicator:
    code: str
    label: Label
    passes_when: Mapping[str, Any] | None
    rule: str | None
    failed_detail: Label | None


@dataclass(frozen=True)
class IncomeRule:
    total_field: str
    size_field: str
    per_capita_field: str | None
    thresholds: tuple[Threshold, ...]

    def threshold(self, year: int, area_code: str) -> Threshold:
        candidates = [t for t in self.thresholds if t.covers(year, area_code)]
        if not candidates:
            raise AssessmentUnavailable(
                f"没有适用的收入标准 No income threshold for {year}, area {area_code}"
            )
        return max(candidates, key=lambda t: t.rank)

    def per_capita(self, answers: Mapping[str, Any]) -> float | None:
        """The answer if the form asks for it, else total / size; cut (never rounded up) to whole fen."""
        if self.per_capita_field:
            given = resolve(self.per_capita_field, answers)
            if isinstance(given, int | float) and not isinstance(given, bool):
                return _fen(Decimal(str(given)))
        total, size = resolve(self.total_field, answers), resolve(self.size_field, answers)
        if isinstance(total, int | float) and isinstance(size, int) and size > 0:
            return _fen(Decimal(str(total)) / size)
        return None


@dataclass(frozen=True)
class AssessmentRules:
    indicators: tuple[Indicator, ...]
    income: IncomeRule | None

    @classmethod
    def parse(cls, data: Mapping[str, Any], standards: Mapping[str, list]) -> AssessmentRules:
        income = data.get("income")
        rule = None
        if income:
            rows = income.get("thresholds") or standards[income["standard"]]
            rule = IncomeRule(
                total_field=income["total_field"],
                size_field=income["size_field"],
                per_capita_field=income.get("per_capita_field"),
                thresholds=tuple(Threshold(r["region"], r["from_year"], float(r["amount"])) for r in rows),
            )
        indicators = tuple(
            Indicator(
                code=i["code"],
                label=Label.of(i["label"]),
                passes_when=i.get("passes_when"),
                rule=i.get("rule"),
                failed_detail=Label.of(i.get("failed_detail")),
            )
            for i in data["indicators"]
        )
        return cls(indicators, rule)


@dataclass(frozen=True)
class IndicatorResult:
    code: str
    label_zh: str
    label_en: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Assessment:
    indicators: tuple[IndicatorResult, ...]
    per_capita_income: float | None
    threshold: float | None
    income_passed: bool
    all_passed: bool

    def indicator(self, code: str) -> IndicatorResult:
        return next(i for i in self.indicators if i.code == code)

    def to_dict(self) -> dict:
        return asdict(self) | {"indicators": [asdict(i) for i in self.indicators]}


def assess(form_version: FormVersion, answers: Mapping[str, Any], *, year: int, area_code: str) -> Assessment:
    """Assess cleaned answers (from validate_answers) for a visit in `year` to a household in `area_code`."""
    rules = form_version.assessment
    if rules is None:
        raise AssessmentUnavailable(f"表单没有评估规则 Form {form_version.key} declares no assessment")
    per_capita = threshold = None
    income_passed = False
    income_detail = ""
    if rules.income is not None:
        line = rules.income.threshold(year, area_code)
        threshold = line.amount
        per_capita = rules.income.per_capita(answers)
        income_passed = per_capita is not None and per_capita >= threshold
        income_detail = _income_detail(per_capita, line, year)
    results = []
    for indicator in rules.indicators:
        if indicator.rule == INCOME_RULE:
            passed, detail = income_passed, income_detail
        else:
            passed = evaluate(indicator.passes_when, answers)
            detail = _detail(indicator, passed)
        results.append(
            IndicatorResult(indicator.code, indicator.label.zh, indicator.label.en, passed, detail)
        )
    return Assessment(
        indicators=tuple(results),
        per_capita_income=per_capita,
        threshold=threshold,
        income_passed=income_passed,
        all_passed=all(r.passed for r in results),
    )


def _fen(amount: Decimal) -> float:
    return float(amount.quantize(Decimal("0.01"), rounding=ROUND_DOWN))


def _detail(indicator: Indicator, passed: bool) -> str:
    if passed:
        return "达标 Met"
    if indicator.failed_detail:
        return f"{indicator.failed_detail.zh} {indicator.failed_detail.en}"
    return f"未达标 Not met: {indicator.label.zh} {indicator.label.en}"


def _income_detail(per_capita: float | None, line: Threshold, year: int) -> str:
    where = "全国 national" if line.region == "national" else line.region
    standard = f"{line.amount:g} 元 ({year}, {where})"
    if per_capita is None:
        return f"收入或人口未填，无法计算人均纯收入 Income or household size missing; standard {standard}"
    sign = "≥" if per_capita >= line.amount else "<"
    return f"人均纯收入 {per_capita:.2f} 元 {sign} 标准 {standard} Per-capita net income {sign} line"
