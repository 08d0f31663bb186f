"""The ledger (整改台账) as a CSV or XLSX file with Chinese headers, overdue items first."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime

from flask import Response

from app.campaigns.models import PHASE_LABELS
from app.clock import CHINA_TZ, now
from app.downloads import spooled, stream
from app.labels import LEDGER_SOURCES, LEDGER_STATUSES, label
from app.rectification.deadlines import is_overdue
from app.rectification.models import RectificationItem
from app.spreadsheets.writing import StreamingWorkbook, csv_chunks

TITLE = "整改台账"
EVIDENCE_LABELS = {"visit": "复查走访", "photo": "材料照片"}
COLUMNS = (
    ("序号", "count"),
    ("户编号", "text"),
    ("区划代码", "text"),
    ("核查阶段", "text"),
    ("问题来源", "text"),
    ("存在问题", "text"),
    ("整改责任人", "text"),
    ("整改措施", "text"),
    ("整改时限", "text"),
    ("是否逾期", "text"),
    ("逾期天数", "count"),
    ("整改佐证", "text"),
    ("状态", "text"),
    ("销号说明", "text"),
    ("销号人", "text"),
    ("销号时间", "text"),
    ("登记人", "text"),
    ("登记时间", "text"),
    ("走访ID", "text"),
    ("事项ID", "text"),
)
HEADERS = [c[0] for c in COLUMNS]
KINDS = [c[1] for c in COLUMNS]


def _time(value: datetime | None) -> str:
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def _evidence(item: RectificationItem) -> str:
    return "；".join(
        f"{EVIDENCE_LABELS[e.kind]} {e.visit_id or e.sha256[:12]}" + (f"（{e.note}）" if e.note else "")
        for e in item.evidence
    )


def ledger_rows(items: Iterable[RectificationItem], on: date) -> Iterator[list]:
    """One row per item, in the order given (overdue first when given `service.ledger`)."""
    for index, item in enumerate(items, start=1):
        overdue = is_overdue(item.deadline, item.status, on)
        yield [
            index,
            item.household_number,
            item.area_path[-1] if item.area_path else "",
            PHASE_LABELS.get(item.phase or "", ""),
            label(LEDGER_SOURCES, item.source),
            item.problem,
            item.responsible,
            item.measure,
            item.deadline.isoformat() if item.deadline else "",
            "是" if overdue else "否",
            (on - item.deadline).days if overdue else None,
            _evidence(item),
            label(LEDGER_STATUSES, item.status),
            item.close_note,
            item.closed_by,
            _time(item.closed_at),
            item.created_by,
            _time(item.created_at),
            item.visit_id,
            str(item.id),
        ]


def ledger_download(items: Iterable[RectificationItem], fmt: str, on: date, generated_by: str) -> Response:
    """The ledger streamed as CSV, or written with flat memory to XLSX with a notes sheet."""
    stamp = now().astimezone(CHINA_TZ)
    name, plain = f"{TITLE}_{stamp:%Y%m%d}", f"rectifications_{stamp:%Y%m%d}"
    if fmt == "csv":
        return stream(csv_chunks(HEADERS, ledger_rows(items, on)), "csv", name, plain)

    def write(fp) -> None:
        book = StreamingWorkbook()
        sheet = book.sheet(TITLE, HEADERS, KINDS)
        for row in ledger_rows(items, on):
            sheet.append(row)
        book.notes(
            [
                ("生成时间 Generated", f"{stamp:%Y-%m-%d %H:%M} (UTC+8)"),
                ("生成人 By", generated_by),
                ("排序 Order", "逾期未销号事项在前（逾期最久的在最前），其余按登记时间倒序 Overdue first"),
                ("是否逾期 Overdue", "未销号且整改时限已过 Open and past its deadline (China date)"),
                ("整改时限 Deadline", "默认为核查活动整改阶段截止日，否则为登记后两个月（可配置）"),
                ("事项数 Items", str(sheet.rows)),
            ]
        )
        book.save(fp)

    return spooled(write, "xlsx", name, plain)
