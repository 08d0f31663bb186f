"""The verification report's chart as geometry for an inline SVG: coverage and pass rates per child area.

Inline SVG needs no chart library and no script (the console's Content-Security-Policy allows none
inline); colours come from CSS classes, so nothing is styled inline either.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.reports.verification import INDICATORS

ROW = 26  # px per child area
LABEL_W = 150  # the area names
BAR_W = 220  # 100 % coverage
CELL_W = 64  # one pass-rate cell
TOP = 34  # the column headings


@dataclass(frozen=True)
class Cell:
    x: float
    value: float | None
    band: str  # a CSS class: rate-none, rate-low, rate-mid, rate-high


@dataclass(frozen=True)
class ChartRow:
    y: float
    code: str
    name: str
    coverage: float | None
    bar: float  # width of the coverage bar
    band: str
    cells: list[Cell]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bar_x: int
    grid_x: int
    headings: list[tuple[float, str]]  # (x, label) of each pass-rate column
    rows: list[ChartRow]


def band(rate: float | None) -> str:
    """Colour band of a percentage: below 80 needs attention, 95 and above is on track."""
    if rate is None:
        return "rate-none"
    if rate < 80:
        return "rate-low"
    return "rate-high" if rate >= 95 else "rate-mid"


def report_chart(report: dict) -> Chart:
    """One row per child area of a verification report (the total is not charted)."""
    grid_x = LABEL_W + BAR_W + 56
    headings = [
        (grid_x + i * CELL_W + CELL_W / 2, label.removesuffix("达标率").removesuffix("保障"))
        for i, label in enumerate(INDICATORS.values())
    ]
    rows = []
    for i, row in enumerate(report["rows"]):
        coverage = row.get("coverage")
        rates = row.get("pass_rates") or {}
        rows.append(
            ChartRow(
                y=TOP + i * ROW,
                code=row["code"],
                name=row["name"],
                coverage=coverage,
                bar=round(BAR_W * (coverage or 0) / 100, 1),
                band=band(coverage),
                cells=[
                    Cell(grid_x + j * CELL_W, rates.get(code), band(rates.get(code)))
                    for j, code in enumerate(INDICATORS)
                ],
            )
        )
    width = grid_x + CELL_W * len(INDICATORS) + 4
    return Chart(width, TOP + ROW * len(rows) + 8, LABEL_W, grid_x, headings, rows)
