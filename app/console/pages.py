"""What the console's visit page shows, built from the same visit view the JSON API returns.

Pure functions of their arguments (no Flask, no queries): the evidence grid with each slot's capture
time and place against the visit's, the checks on the slot they concern, the files they matched, the
form's answers with their labels, and the household's map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.checks.geo import distance_m
from app.console.plot import Plot, location_plot
from app.forms.fields import Field
from app.media.links import MediaLinks
from app.review.matches import Match
from app.visits.presenter import PREVIEW, THUMBNAIL

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class MatchCard:
    match: Match
    label: str  # the matched slot's label
    thumbnail_url: str | None
    preview_url: str | None


@dataclass
class SlotCard:
    slot: str
    label: str
    kind: str
    required: bool
    present: bool
    thumbnail_url: str | None
    preview_url: str | None
    url: str | None
    taken_at: datetime | None
    minutes_from_start: int | None  # capture time against the visit's start
    in_visit_window: bool | None  # within the visit's time (with the checks' tolerance)
    gps: dict | None
    distance_m: float | None  # capture place against the household
    near_home: bool | None
    device: str | None
    checks: list[dict] = field(default_factory=list)  # failed ones first
    matches: list[MatchCard] = field(default_factory=list)
    comment: str | None = None  # the verifier's comment on this slot, once decided

    @property
    def failed(self) -> bool:
        return any(not c.get("passed") and c.get("severity") == "error" for c in self.checks)

    @property
    def warned(self) -> bool:
        return any(not c.get("passed") and c.get("severity") == "warning" for c in self.checks)


def _taken_at(exif: dict) -> datetime | None:
    value = (exif or {}).get("taken_at")
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _by_severity(checks: list[dict]) -> list[dict]:
    return sorted(checks, key=lambda c: (bool(c.get("passed")), SEVERITY_ORDER.get(c.get("severity"), 3)))


def slot_cards(
    view: dict,
    matches: dict[str, list[Match]],
    links: MediaLinks,
    home: tuple[float, float] | None,
    *,
    tolerance: timedelta,
    allowed_m: float,
) -> list[SlotCard]:
    """One card per attachment slot of the visit (photos first, then signatures, then letters)."""
    start, end = view.get("started_at"), view.get("ended_at")
    comments = (view.get("review") or {}).get("slot_comments") or {}
    slot_labels = {a["slot"]: a.get("label") or a["slot"] for a in view["attachments"]}
    checks_by_slot: dict[str, list[dict]] = {}
    for check in view.get("checks") or []:
        if check.get("slot"):
            checks_by_slot.setdefault(check["slot"], []).append(check)
    cards = []
    for a in view["attachments"]:
        exif = a.get("exif") or {}
        taken = _taken_at(exif)
        gps = exif.get("gps") if isinstance(exif.get("gps"), dict) else None
        d = distance_m(gps["lat"], gps["lon"], *home) if gps and home and "lat" in gps else None
        cards.append(
            SlotCard(
                slot=a["slot"],
                label=a.get("label") or a["slot"],
                kind=a.get("kind", ""),
                required=bool(a.get("required")),
                present=bool(a.get("present")),
                thumbnail_url=a.get("thumbnail_url") or (a.get("url") if a.get("kind") != "photo" else None),
                preview_url=a.get("preview_url") or a.get("url"),
                url=a.get("url"),
                taken_at=taken,
                minutes_from_start=round((taken - start).total_seconds() / 60) if taken and start else None,
                in_visit_window=(start - tolerance <= taken <= end + tolerance) if taken and start else None,
                gps=gps,
                distance_m=round(d) if d is not None else None,
                near_home=d <= allowed_m if d is not None else None,
                device=exif.get("device"),
                checks=_by_severity(checks_by_slot.get(a["slot"], [])),
                matches=[_match_card(m, links, slot_labels) for m in matches.get(a["slot"], [])],
                comment=comments.get(a["slot"]),
            )
        )
    order = {"photo": 0, "signature": 1}
    return sorted(cards, key=lambda c: (not (c.present or c.required), order.get(c.kind, 2)))


def _match_card(match: Match, links: MediaLinks, slot_labels: dict[str, str]) -> MatchCard:
    a = match.attachment
    label = slot_labels.get(match.other_slot, match.other_slot)
    if a is None:
        return MatchCard(match, label, None, None)
    thumbs = a.thumbnails or {}
    thumbnail = links.url(str(a.id), THUMBNAIL) if THUMBNAIL in thumbs else links.url(str(a.id))
    preview = links.url(str(a.id), PREVIEW) if PREVIEW in thumbs else links.url(str(a.id))
    return MatchCard(match, label, thumbnail, preview)


def visit_checks(view: dict) -> list[dict]:
    """Checks that concern the whole visit rather than one slot, failed ones first."""
    return _by_severity([c for c in view.get("checks") or [] if not c.get("slot")])


def visit_plot(
    view: dict, cards: list[SlotCard], home: tuple[float, float] | None, allowed_m: float
) -> Plot | None:
    location = view.get("location") or {}
    here = (location["lat"], location["lon"]) if location.get("lat") is not None else None
    photos = [(c.label, c.gps["lat"], c.gps["lon"]) for c in cards if c.kind == "photo" and c.gps]
    return location_plot(home, here, photos, allowed_m)


@dataclass(frozen=True)
class AnswerRow:
    depth: int
    label: str
    value: str | None  # None for a heading (a group, or one entry of a repeat)


def _display(f: Field, value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    labels = {c.code: c.label.zh for c in f.choices}
    if isinstance(value, list):
        return "、".join(labels.get(v, str(v)) for v in value) or "（无）"
    return labels.get(value, str(value)) if labels else str(value)


def answer_rows(fields: tuple[Field, ...], answers: dict, depth: int = 0) -> list[AnswerRow]:
    """The answers in the form's order with the form's labels; questions left unanswered are skipped."""
    rows = []
    for f in fields:
        if not f.has_answer:
            continue
        value = (answers or {}).get(f.name)
        if f.type == "group":
            inner = answer_rows(f.fields, value if isinstance(value, dict) else {}, depth + 1)
            if inner:
                rows += [AnswerRow(depth, f.label.zh, None), *inner]
        elif f.type == "repeat":
            entries = value if isinstance(value, list) else []
            if entries:
                rows.append(AnswerRow(depth, f.label.zh, None))
            for i, entry in enumerate(entries, 1):
                rows.append(AnswerRow(depth + 1, f"第 {i} 项", None))
                rows += answer_rows(f.fields, entry if isinstance(entry, dict) else {}, depth + 2)
        elif value is not None and value != "":
            rows.append(AnswerRow(depth, f.label.zh, _display(f, value)))
    return rows
