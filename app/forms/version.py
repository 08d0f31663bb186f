"""One version of one form: its definition as written, typed fields, evidence slots and assessment rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema

from app.errors import UnknownSlot
from app.forms.answers import build_answers_schema
from app.forms.assessment_rules import AssessmentRules
from app.forms.fields import AttachmentSlot, Field, Label, parse_fields, parse_slots
from app.forms.settings import FormRole


@dataclass(eq=False)
class FormVersion:
    form_id: str
    version: int
    status: str
    title: Label
    definition: Mapping[str, Any]  # the file's content as JSON: what phones render from
    digest: str  # sha256 of the canonical JSON of `definition`; the ETag and the lock-file entry
    fields: tuple[Field, ...]
    attachment_slots: tuple[AttachmentSlot, ...]
    assessment: AssessmentRules | None = None
    role: FormRole = field(default_factory=FormRole)  # from forms/settings/<form_id>.yaml, not locked
    _schema: type[Schema] | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_definition(
        cls, definition: Mapping[str, Any], digest: str, standards: Mapping[str, list] | None = None
    ) -> FormVersion:
        """Build from a definition that passed `checks.problems_in` (with the same standards)."""
        rules = definition.get("assessment")
        return cls(
            form_id=definition["form_id"],
            version=definition["version"],
            status=definition["status"],
            title=Label.of(definition["title"]),
            definition=definition,
            digest=digest,
            fields=parse_fields(definition["fields"]),
            attachment_slots=parse_slots(definition["attachments"]),
            assessment=AssessmentRules.parse(rules, standards or {}) if rules else None,
        )

    @property
    def key(self) -> str:
        return f"{self.form_id}/v{self.version}"

    @property
    def published(self) -> bool:
        return self.status == "published"

    def build_schema(self) -> type[Schema]:
        """The marshmallow Schema class for this version's answers (built once, then reused)."""
        if self._schema is None:
            self._schema = build_answers_schema(self.fields, f"Answers.{self.form_id}.v{self.version}")
        return self._schema

    def slot(self, name: str) -> AttachmentSlot:
        for slot in self.attachment_slots:
            if slot.slot == name:
                return slot
        raise UnknownSlot(slot=name)

    @property
    def required_slots(self) -> tuple[str, ...]:
        return tuple(s.slot for s in self.attachment_slots if s.required)
