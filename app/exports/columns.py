"""A form's questions as spreadsheet columns: one column per answer, Chinese headers from the labels.

Questions outside repeats become columns of the visit's row; each repeat (e.g. 适龄儿童) becomes a table of
its own, one row per entry. Versions of a form are merged by answer path (the newest label wins), so an
export across versions keeps one column per question. Values are shown as people read them: 是/否, choice
labels, 、-joined multiple choices.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.forms.fields import Field
from app.forms.version import FormVersion

SEPARATOR = "·"


@dataclass(frozen=True)
class AnswerColumn:
    keys: tuple[str, ...]  # from the answers root, or from a repeat entry
    header: str
    field: Field

    def value(self, answers: Mapping[str, Any] | None) -> Any:
        """The answer as a cell: text or a number, None when not given."""
        value: Any = answers
        for key in self.keys:
            value = value.get(key) if isinstance(value, Mapping) else None
        return show(self.field, value)


@dataclass
class RepeatTable:
    """A repeat's entries as their own table: its path in the answers and its columns."""

    keys: tuple[str, ...]
    title: str
    columns: list[AnswerColumn] = field(default_factory=list)

    def entries(self, answers: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
        value: Any = answers
        for key in self.keys:
            value = value.get(key) if isinstance(value, Mapping) else None
        return [e for e in value if isinstance(e, Mapping)] if isinstance(value, list) else []


@dataclass
class FormColumns:
    form_id: str
    title: str
    columns: list[AnswerColumn]
    repeats: list[RepeatTable]


def show(field: Field, value: Any) -> Any:
    if value is None or value == "" or value == []:
        return None
    if field.type == "boolean":
        return "是" if value else "否"
    choices = {c.code: c.label.zh for c in field.choices}
    if field.type == "select_one":
        return choices.get(value, value)
    if field.type == "select_multiple":
        return "、".join(choices.get(v, str(v)) for v in value) if isinstance(value, list) else str(value)
    if field.type in ("integer", "decimal") and isinstance(value, int | float):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _walk(
    fields: Iterable[Field], keys: tuple[str, ...], groups: tuple[str, ...], out: list, repeats: list | None
) -> None:
    """Collect (keys, group labels, field) of every answer; repeats go to `repeats` with their own
    entries, or, inside a repeat (`repeats` None), stay one column holding the nested entries as JSON."""
    for f in fields:
        here = (*keys, f.name)
        if f.type == "group":
            _walk(f.fields, here, (*groups, f.label.zh), out, repeats)
        elif f.type == "repeat" and repeats is not None:
            entry: list = []
            _walk(f.fields, (), (), entry, None)
            repeats.append((here, f.label.zh, entry))
        elif f.has_answer:
            out.append((here, groups, f))


def _named(found: list[tuple[tuple[str, ...], tuple[str, ...], Field]]) -> list[AnswerColumn]:
    """Columns headed by their labels; a label that repeats is prefixed with its group's label."""
    counts: dict[str, int] = {}
    for _, _, f in found:
        counts[f.label.zh] = counts.get(f.label.zh, 0) + 1
    columns = []
    for keys, groups, f in found:
        header = (
            f.label.zh if counts[f.label.zh] == 1 or not groups else f"{groups[-1]}{SEPARATOR}{f.label.zh}"
        )
        columns.append(AnswerColumn(keys, header, f))
    return columns


def form_columns(versions: list[FormVersion]) -> FormColumns:
    """The columns of one form over the given versions (newest first wins a label)."""
    ordered = sorted(versions, key=lambda v: v.version, reverse=True)
    found: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...], Field]] = {}
    tables: dict[tuple[str, ...], RepeatTable] = {}
    for version in ordered:
        plain: list = []
        repeats: list = []
        _walk(version.fields, (), (), plain, repeats)
        for keys, groups, f in plain:
            found.setdefault(keys, (keys, groups, f))
        for keys, title, entry in repeats:
            table = tables.setdefault(keys, RepeatTable(keys, title))
            have = {c.keys for c in table.columns}
            table.columns += [c for c in _named(entry) if c.keys not in have]
    newest = ordered[0]
    return FormColumns(newest.form_id, newest.title.zh, _named(list(found.values())), list(tables.values()))
