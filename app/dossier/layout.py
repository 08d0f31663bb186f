"""Lay a household's dossier out on A4 pages with ReportLab, every string set in a Chinese font."""

from __future__ import annotations

import io
from datetime import date, datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.clock import CHINA_TZ
from app.dossier.content import Dossier, Evidence
from app.dossier.fonts import chinese_font
from app.households.idnumbers import mask_id, mask_phone
from app.households.models import CATEGORY_LABELS, NEEDS, POVERTY_STATUSES
from app.labels import DECISIONS as DECISION_LABELS
from app.labels import HOUSEHOLD_STATES, ROLES, SATISFACTION, SEVERITIES, VISIT_STATES
from app.review.chains import LEVELS

LEVEL_LABELS = {key: level.label for key, level in LEVELS.items()}

WIDTH = A4[0] - 30 * mm
GRID = colors.HexColor("#999999")
SHADE = colors.HexColor("#EEEEEE")
NOTICE = colors.HexColor("#FFF3CD")


class Styles:
    def __init__(self, font: str):
        self.title = ParagraphStyle("title", fontName=font, fontSize=18, leading=24, alignment=1)
        self.subtitle = ParagraphStyle("subtitle", fontName=font, fontSize=10, leading=14, alignment=1)
        self.heading = ParagraphStyle(
            "heading", fontName=font, fontSize=12.5, leading=17, spaceBefore=9, spaceAfter=4, keepWithNext=1
        )
        self.body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12.5)
        self.small = ParagraphStyle("small", fontName=font, fontSize=7.5, leading=10)
        self.caption = ParagraphStyle("caption", fontName=font, fontSize=8.5, leading=11, alignment=1)


def text(value) -> str:
    """Escaped for ReportLab's paragraph markup; an em dash for nothing."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    return escape(str(value))


def _table(
    rows: list[list], widths: list[float], header: bool = True, shade_first_col: bool = False
) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
    if shade_first_col:
        style += [("BACKGROUND", (0, 0), (0, -1), SHADE), ("BACKGROUND", (2, 0), (2, -1), SHADE)]
    table.setStyle(TableStyle(style))
    return table


def _cells(values: list, style: ParagraphStyle) -> list[Paragraph]:
    return [Paragraph(text(v), style) for v in values]


def household_section(d: Dossier, s: Styles) -> list:
    h = d.household
    id_number = h.id_number if d.show_id_number else mask_id(h.id_number)
    phone = h.phone if d.show_phone else mask_phone(h.phone)
    pairs = [
        ("户编号", h.number),
        ("户主", h.head_name),
        ("身份证号", id_number),
        ("联系电话", phone),
        ("所在区划", " ".join(d.area_names[1:]) or h.village_code),
        ("村代码", h.village_code),
        ("住址", h.address),
        ("户类型", CATEGORY_LABELS.get(h.category, h.category)),
        ("致贫原因", "、".join(h.poverty_causes)),
        ("帮扶责任人", h.helper_name),
        ("核查状态", HOUSEHOLD_STATES.get(h.status, h.status)),
        ("家庭人口", h.size),
        ("贫困状态", POVERTY_STATUSES.get(h.poverty_status, h.poverty_status)),
        ("四个必到", "、".join(NEEDS.get(n, n) for n in h.needs)),
    ]
    rows = [_cells([a, b, c, e], s.body) for (a, b), (c, e) in zip(pairs[0::2], pairs[1::2], strict=True)]
    members = [
        _cells(["姓名", "与户主关系", "身份证号", "出生日期", "劳动能力", "健康状况", "在校情况"], s.body)
    ]
    for m in h.members:
        number = m.id_number if d.show_id_number else mask_id(m.id_number)
        members.append(
            _cells(
                [m.name, m.relation, number, m.birth_date, m.labour_ability, m.health, m.schooling], s.small
            )
        )
    widths = [0.12, 0.12, 0.22, 0.12, 0.14, 0.14, 0.14]
    return [
        Paragraph("一、户基本信息", s.heading),
        _table(rows, [WIDTH * w for w in (0.14, 0.36, 0.14, 0.36)], header=False, shade_first_col=True),
        Paragraph("二、家庭成员", s.heading),
        _table(members, [WIDTH * w for w in widths]) if h.members else Paragraph("无成员记录", s.body),
    ]


def visit_section(d: Dossier, s: Styles) -> list:
    v = d.visit
    flow: list = [Paragraph("三、入户核查", s.heading)]
    if v is None:
        return [*flow, Paragraph("尚无走访记录 No visit yet", s.body)]
    if not d.visit_approved:
        notice = Table(
            [
                [
                    Paragraph(
                        f"注意：本次走访尚未审核通过（{text(VISIT_STATES.get(v.state, v.state))}）", s.body
                    )
                ]
            ],
            colWidths=[WIDTH],
        )
        notice.setStyle(
            TableStyle([("BACKGROUND", (0, 0), (-1, -1), NOTICE), ("BOX", (0, 0), (-1, -1), 0.8, GRID)])
        )
        flow += [notice, Spacer(0, 3 * mm)]
    where = f"{v.lat:.5f}, {v.lon:.5f}" if v.lat is not None and v.lon is not None else None
    pairs = [
        ("走访干部", v.cadre),
        ("走访状态", VISIT_STATES.get(v.state, v.state)),
        ("开始时间", v.started_at),
        ("结束时间", v.ended_at),
        ("提交时间", v.submitted_at),
        ("审核时间", v.decided_at),
        ("走访位置", where),
        ("表单", f"{v.form_id} v{v.form_version}"),
    ]
    rows = [_cells([a, b, c, e], s.body) for (a, b), (c, e) in zip(pairs[0::2], pairs[1::2], strict=True)]
    flow.append(
        _table(rows, [WIDTH * w for w in (0.14, 0.36, 0.14, 0.36)], header=False, shade_first_col=True)
    )
    return flow + assessment_section(v.assessment or {}, s)


def assessment_section(a: dict, s: Styles) -> list:
    if not a.get("indicators"):
        return [Spacer(0, 2 * mm), Paragraph("评估：无 No assessment", s.body)]
    rows = [_cells(["指标（两不愁三保障）", "结果", "说明"], s.body)]
    for item in a["indicators"]:
        passed = "达标" if item.get("passed") else "未达标"
        rows.append(_cells([item.get("label_zh") or item.get("code"), passed, item.get("detail")], s.body))
    income, threshold = a.get("per_capita_income"), a.get("threshold")
    summary = "；".join(
        [
            f"人均纯收入：{text(None if income is None else f'{income:,.0f} 元')}",
            f"标准：{text(None if threshold is None else f'{threshold:,.0f} 元')}",
            f"综合：{'全部达标' if a.get('all_passed') else '未全部达标'}",
            f"满意度：{text(SATISFACTION.get(a.get('satisfaction'), a.get('satisfaction')))}",
        ]
    )
    return [
        Spacer(0, 3 * mm),
        _table(rows, [WIDTH * w for w in (0.3, 0.12, 0.58)]),
        Spacer(0, 1.5 * mm),
        Paragraph(summary, s.body),
    ]


def _fit(data: bytes, max_w: float, max_h: float) -> Image:
    width, height = ImageReader(io.BytesIO(data)).getSize()
    scale = min(max_w / width, max_h / height)
    return Image(io.BytesIO(data), width=width * scale, height=height * scale)


def _exif_line(e: Evidence) -> str:
    exif = e.exif or {}
    parts = []
    if exif.get("taken_at"):
        taken = datetime.fromisoformat(exif["taken_at"])
        parts.append("拍摄 " + text(taken))
    gps = exif.get("gps") or {}
    if gps.get("lat") is not None and gps.get("lon") is not None:
        parts.append(f"GPS {gps['lat']:.5f}, {gps['lon']:.5f}")
    if exif.get("device"):
        parts.append(text(exif["device"]))
    return " · ".join(parts)


def evidence_grid(items: list[Evidence], s: Styles, max_h: float) -> Table:
    """Two per row: the image (or a note that it is missing) above its label."""
    cell_w = WIDTH / 2
    cells = []
    for e in items:
        picture = _fit(e.image, cell_w - 8 * mm, max_h) if e.image else Paragraph("缺失 Missing", s.caption)
        caption = f"{text(e.label)}（{text(e.slot)}）"
        if e.kind == "photo" and _exif_line(e):
            caption += "<br/>" + _exif_line(e)
        cells.append([picture, Paragraph(caption, s.caption)])
    rows = []
    for pair in (cells[i : i + 2] for i in range(0, len(cells), 2)):
        pair = pair + [["", ""]] * (2 - len(pair))
        rows += [[pair[0][0], pair[1][0]], [pair[0][1], pair[1][1]]]
    table = Table(rows, colWidths=[cell_w, cell_w])
    table.setStyle(
        TableStyle(
            [
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def evidence_section(d: Dossier, s: Styles) -> list:
    if d.visit is None:
        return []
    photos = [e for e in d.evidence if e.kind == "photo"]
    signatures = [e for e in d.evidence if e.kind == "signature"]
    return [
        _evidence_part("四、四处照相", photos, s, 62 * mm, "本表单不含照片 This form has no photo slots"),
        _evidence_part(
            "五、四方签字", signatures, s, 26 * mm, "本表单不含签字 This form has no signature slots"
        ),
    ]


def _evidence_part(heading: str, items: list[Evidence], s: Styles, max_h: float, none: str) -> KeepTogether:
    """A heading over the images, or over a line saying the form has none (a satisfaction survey)."""
    body = evidence_grid(items, s, max_h) if items else Paragraph(none, s.body)
    return KeepTogether([Paragraph(heading, s.heading), body])


def checks_section(d: Dossier, s: Styles) -> list:
    if d.visit is None:
        return []
    rows = [_cells(["检查项", "附件", "结果", "级别", "说明"], s.body)]
    for c in d.visit.checks or []:
        passed = "通过" if c.get("passed") else "未通过"
        severity = SEVERITIES.get(c.get("severity"), c.get("severity"))
        rows.append(_cells([c.get("code"), c.get("slot"), passed, severity, c.get("detail")], s.small))
    body = (
        _table(rows, [WIDTH * w for w in (0.2, 0.2, 0.09, 0.08, 0.43)])
        if len(rows) > 1
        else Paragraph("尚未进行自动核查 Not checked yet", s.body)
    )
    return [Paragraph("六、自动核查结果", s.heading), body]


def review_section(d: Dossier, s: Styles) -> list:
    flow: list = [Paragraph("七、审核记录", s.heading)]
    review = (d.visit.review or {}) if d.visit else {}
    if review:
        lines = [
            f"审核结论：{text(DECISION_LABELS.get(review.get('decision'), review.get('decision')))}",
            f"审核人：{text(review.get('reviewer_name') or review.get('reviewer'))}",
            f"审核时间：{text(review.get('at'))}",
            f"审核意见：{text(review.get('comment'))}",
        ]
        lines += [f"{text(slot)}：{text(note)}" for slot, note in (review.get("slot_comments") or {}).items()]
        flow.append(Paragraph("<br/>".join(lines), s.body))
    if d.visit is not None and len(d.visit.signoffs) > 1:  # 逐级签字: who signed at each level
        rows = [_cells(["层级", "结论", "签字人", "时间", "意见"], s.body)]
        for signoff in d.visit.signoffs:
            level = LEVEL_LABELS.get(signoff.get("level"), signoff.get("level"))
            decision = DECISION_LABELS.get(signoff.get("decision"), signoff.get("decision"))
            who = signoff.get("reviewer_name") or signoff.get("reviewer")
            rows.append(_cells([level, decision, who, signoff.get("at"), signoff.get("comment")], s.small))
        flow += [Spacer(0, 2 * mm), _table(rows, [WIDTH * w for w in (0.14, 0.14, 0.16, 0.2, 0.36)])]
    elif d.visit is not None:
        flow.append(Paragraph("本次走访尚未审核 Not reviewed yet", s.body))
    if d.visit is not None and d.visit.history:
        rows = [_cells(["时间", "状态", "操作人", "角色", "备注"], s.body)]
        for h in d.visit.history:
            rows.append(
                _cells(
                    [h.at, VISIT_STATES.get(h.state, h.state), h.actor, ROLES.get(h.role, h.role), h.note],
                    s.small,
                )
            )
        flow += [Spacer(0, 2 * mm), _table(rows, [WIDTH * w for w in (0.18, 0.22, 0.15, 0.12, 0.33)])]
    if len(d.visits) > 1:
        rows = [_cells(["走访时间", "走访干部", "状态", "审核结论", "审核意见"], s.body)]
        for v in d.visits:
            r = v.review or {}
            rows.append(
                _cells(
                    [
                        v.started_at,
                        v.cadre,
                        VISIT_STATES.get(v.state, v.state),
                        DECISION_LABELS.get(r.get("decision"), r.get("decision")),
                        r.get("comment"),
                    ],
                    s.small,
                )
            )
        flow += [
            Paragraph("历次走访", s.heading),
            _table(rows, [WIDTH * w for w in (0.18, 0.14, 0.2, 0.14, 0.34)]),
        ]
    return flow


def render(d: Dossier) -> bytes:
    """The dossier as PDF bytes."""
    font = chinese_font()
    s = Styles(font.name)
    h = d.household
    footer = f"一户一档 · 户编号 {h.number} · 生成时间 {text(d.generated_at)} · 生成人 {d.generated_by}"

    def on_page(canvas, doc):
        if font.stroke:  # fill and outline every glyph on this page: see app.dossier.fonts
            canvas.setLineWidth(font.stroke)
            mode = canvas.beginText()
            mode.setTextRenderMode(2)
            canvas.drawText(mode)
        canvas.saveState()
        canvas.setFont(font.name, 7.5)
        canvas.drawString(15 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    story = [
        Paragraph("一户一档", s.title),
        Paragraph(f"{text(h.head_name)} 户 · 户编号 {text(h.number)}", s.subtitle),
        Spacer(0, 4 * mm),
        *household_section(d, s),
        *visit_section(d, s),
        *evidence_section(d, s),
        *checks_section(d, s),
        *review_section(d, s),
    ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=18 * mm,
        title=f"一户一档 {h.number} {h.head_name}",
        author=d.generated_by,
        subject="Household dossier 一户一档",
        creator="Doorstep",
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()
