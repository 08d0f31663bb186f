"""The parts of a form definition as typed objects: fields (with their answer paths), choices, slots."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# Field types that carry no answer: the phone shows them, the answers never contain them.
DISPLAY_TYPES = frozenset({"note", "photo", "signature"})
CONTAINER_TYPES = frozenset({"group", "repeat"})


@dataclass(frozen=True)
class Label:
    zh: str
    en: str

    @classmethod
    def of(cls, data: Mapping[str, str] | None) -> Label | None:
        return cls(data["zh"], data["en"]) if data else None


@dataclass(frozen=True)
class Choice:
    code: str
    label: Label


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    path: str  # from the form root, dotted through groups and repeats: "education.children.age"
    label: Label
    hint: Label | None = None
    required: bool = False
    constraints: Mapping[str, Any] | None = None
    relevant: Mapping[str, Any] | None = None
    choices: tuple[Choice, ...] = ()
    fields: tuple[Field, ...] = ()
    slot: str | None = None

    @property
    def has_answer(self) -> bool:
        return self.type not in DISPLAY_TYPES

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.choices)

    def constraint(self, name: str) -> Any:
        return (self.constraints or {}).get(name)


@dataclass(frozen=True)
class AttachmentSlot:
    """An evidence slot the form declares; intake code checks uploads against it."""

    slot: str
    kind: str
    required: bool
    content_types: tuple[str, ...]
    min_width: int
    min_height: int
    max_bytes: int
    label_zh: str
    label_en: str


def parse_fields(items: list[Mapping[str, Any]], prefix: str = "") -> tuple[Field, ...]:
    """Typed fields from the `fields` list of a definition that has passed the JSON Schema."""
    fields = []
    for item in items:
        path = f"{prefix}.{item['name']}" if prefix else item["name"]
        fields.append(
            Field(
                name=item["name"],
                type=item["type"],
                path=path,
                label=Label.of(item["label"]),
                hint=Label.of(item.get("hint")),
                required=bool(item.get("required", False)),
                constraints=item.get("constraints"),
                relevant=item.get("relevant"),
                choices=tuple(Choice(c["code"], Label.of(c["label"])) for c in item.get("choices", ())),
                fields=parse_fields(item.get("fields", ()), path),
                slot=item.get("slot"),
            )
        )
    return tuple(fields)


def parse_slots(items: list[Mapping[str, Any]]) -> tuple[AttachmentSlot, ...]:
    return tuple(
        AttachmentSlot(
            slot=s["slot"],
            kind=s["kind"],
            required=s["required"],
            content_types=tuple(s["content_types"]),
            min_width=s["min_width"],
            min_height=s["min_height"],
            max_bytes=s["max_bytes"],
            label_zh=s["label"]["zh"],
            label_en=s["label"]["en"],
        )
        for s in items
    )


def walk(fields: tuple[Field, ...]) -> Iterator[Field]:
    """Every field, depth first, in the order the phone shows them."""
    for field in fields:
        yield field
        yield from walk(field.fields)
