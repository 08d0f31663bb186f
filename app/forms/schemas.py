"""Form wire schemas: what GET /forms and GET /forms/{form_id} send. Definitions go out as written, so
the body of a form version is exactly the JSON its sha256 (the lock entry and the ETag) was taken over."""

from __future__ import annotations

from marshmallow import Schema
from marshmallow import fields as ma


class LabelOut(Schema):
    zh = ma.String()
    en = ma.String()


class FormSummaryOut(Schema):
    form_id = ma.String()
    version = ma.Integer()
    title = ma.Nested(LabelOut)
    description = ma.Function(lambda form: form.definition.get("description"))
    sha256 = ma.String(attribute="digest")
    role = ma.Function(
        lambda form: form.role.to_dict(),
        metadata={"description": "what its visits contribute to (forms/settings/)"},
    )


class FormDefinitionOut(Schema):
    """A form version as a phone renders it: fields with labels, choices, constraints and relevance
    conditions, the evidence slots, and the assessment rules."""

    form_id = ma.String()
    version = ma.Integer()
    status = ma.String()
    title = ma.Nested(LabelOut)
    description = ma.Nested(LabelOut)
    fields = ma.List(ma.Dict(), metadata={"description": "see app/forms/form_schema.py"})
    attachments = ma.List(ma.Dict())
    assessment = ma.Dict()
