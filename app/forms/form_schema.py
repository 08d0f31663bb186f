"""JSON Schemas for form definition files and standards files: the structure, checked before anything else.

Kept as Python dicts (not .json files) so they ship inside the package without package-data settings;
`python -c "import json; from app.forms.form_schema import FORM_SCHEMA; print(json.dumps(FORM_SCHEMA))"`
writes one out for an editor. Rules that need to see the whole form (references, uniqueness, which keys
apply to which field type) live in app/forms/lint.py.
"""

from __future__ import annotations

FIELD_TYPES = (
    "text",
    "integer",
    "decimal",
    "boolean",
    "date",
    "select_one",
    "select_multiple",
    "geopoint",
    "group",
    "repeat",
    "photo",
    "signature",
    "note",
)
OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "truthy")
SLOT_KINDS = ("photo", "signature", "letter")
CONTENT_TYPES = ("image/jpeg", "image/png")
NAME = r"^[a-z][a-z0-9_]*$"
PATH = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"

_THRESHOLD = {
    "type": "object",
    "required": ["region", "from_year", "amount"],
    "additionalProperties": False,
    "properties": {
        # "national", or an area code prefix: "37" Shandong, "3713" Linyi ...
        "region": {"type": "string", "pattern": r"^(national|[0-9]{2,12})$"},
        "from_year": {"type": "integer", "minimum": 2000, "maximum": 2100},
        "amount": {"type": "number", "exclusiveMinimum": 0},
        "note": {"type": "string"},
    },
}
_LABEL = {
    "type": "object",
    "required": ["zh", "en"],
    "additionalProperties": False,
    "properties": {"zh": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}},
}

FORM_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Doorstep form definition (forms/<form_id>/v<version>.yaml)",
    "type": "object",
    "required": ["form_id", "version", "status", "title", "fields", "attachments"],
    "additionalProperties": False,
    "properties": {
        "form_id": {"type": "string", "pattern": NAME},
        "version": {"type": "integer", "minimum": 1},
        "status": {"enum": ["draft", "published"]},
        "title": {"$ref": "#/$defs/label"},
        "description": {"$ref": "#/$defs/label"},
        "fields": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/field"}},
        "attachments": {"type": "array", "items": {"$ref": "#/$defs/slot"}},
        "assessment": {"$ref": "#/$defs/assessment"},
    },
    "$defs": {
        "label": _LABEL,
        "path": {"type": "string", "pattern": PATH},
        "field": {
            "type": "object",
            "required": ["name", "type", "label"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "pattern": NAME},
                "type": {"enum": list(FIELD_TYPES)},
                "label": {"$ref": "#/$defs/label"},
                "hint": {"$ref": "#/$defs/label"},
                "required": {"type": "boolean"},
                "constraints": {"$ref": "#/$defs/constraints"},
                "relevant": {"$ref": "#/$defs/condition"},
                "choices": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/choice"}},
                "fields": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/field"}},
                "slot": {"type": "string"},
            },
            "allOf": [
                {
                    "if": {
                        "required": ["type"],
                        "properties": {"type": {"enum": ["select_one", "select_multiple"]}},
                    },
                    "then": {"required": ["choices"]},
                },
                {
                    "if": {"required": ["type"], "properties": {"type": {"enum": ["group", "repeat"]}}},
                    "then": {"required": ["fields"]},
                },
                {
                    "if": {"required": ["type"], "properties": {"type": {"enum": ["photo", "signature"]}}},
                    "then": {"required": ["slot"]},
                },
            ],
        },
        "choice": {
            "type": "object",
            "required": ["code", "label"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "pattern": r"^[A-Za-z0-9_]+$"},
                "label": {"$ref": "#/$defs/label"},
            },
        },
        "constraints": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "min": {"type": ["number", "string"]},
                "max": {"type": ["number", "string"]},
                "pattern": {"type": "string", "minLength": 1},
                "min_length": {"type": "integer", "minimum": 0},
                "max_length": {"type": "integer", "minimum": 1},
                "min_count": {"type": "integer", "minimum": 0},
                "max_count": {"type": "integer", "minimum": 1},
            },
        },
        "condition": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": {
                "field": {"$ref": "#/$defs/path"},
                "op": {"enum": list(OPS)},
                "value": {},
                "all": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}},
                "any": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}},
                "not": {"$ref": "#/$defs/condition"},
                "every": {"$ref": "#/$defs/path"},
                "some": {"$ref": "#/$defs/path"},
                "where": {"$ref": "#/$defs/condition"},
            },
            "dependentRequired": {"field": ["op"], "op": ["field"], "value": ["op"]},
            "allOf": [
                {
                    "if": {"required": ["op"], "properties": {"op": {"not": {"const": "truthy"}}}},
                    "then": {"required": ["value"]},
                },
                {"if": {"required": ["every"]}, "then": {"required": ["where"]}},
                {"if": {"required": ["some"]}, "then": {"required": ["where"]}},
            ],
        },
        "slot": {
            "type": "object",
            "required": [
                "slot",
                "kind",
                "label",
                "required",
                "content_types",
                "min_width",
                "min_height",
                "max_bytes",
            ],
            "additionalProperties": False,
            "properties": {
                "slot": {"type": "string", "pattern": r"^(photo|signature|letter)\.[a-z][a-z0-9_]*$"},
                "kind": {"enum": list(SLOT_KINDS)},
                "label": {"$ref": "#/$defs/label"},
                "hint": {"$ref": "#/$defs/label"},
                "required": {"type": "boolean"},
                "content_types": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"enum": list(CONTENT_TYPES)},
                },
                "min_width": {"type": "integer", "minimum": 1},
                "min_height": {"type": "integer", "minimum": 1},
                "max_bytes": {"type": "integer", "minimum": 1},
            },
        },
        "assessment": {
            "type": "object",
            "required": ["indicators"],
            "additionalProperties": False,
            "properties": {
                "income": {
                    "type": "object",
                    "required": ["total_field", "size_field"],
                    "additionalProperties": False,
                    "properties": {
                        "per_capita_field": {"$ref": "#/$defs/path"},
                        "total_field": {"$ref": "#/$defs/path"},
                        "size_field": {"$ref": "#/$defs/path"},
                        "standard": {"type": "string", "pattern": NAME},
                        "thresholds": {"type": "array", "minItems": 1, "items": _THRESHOLD},
                    },
                },
                "indicators": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/indicator"}},
            },
        },
        "indicator": {
            "type": "object",
            "required": ["code", "label"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "pattern": NAME},
                "label": {"$ref": "#/$defs/label"},
                "passes_when": {"$ref": "#/$defs/condition"},
                "rule": {"enum": ["income_threshold"]},
                "failed_detail": {"$ref": "#/$defs/label"},
            },
        },
    },
}

STANDARD_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Doorstep standards file (forms/standards/<name>.yaml)",
    "type": "object",
    "required": ["standard", "title", "thresholds"],
    "additionalProperties": False,
    "properties": {
        "standard": {"type": "string", "pattern": NAME},
        "title": _LABEL,
        "unit": {"type": "string"},
        "source": {"type": "string"},
        "thresholds": {"type": "array", "minItems": 1, "items": _THRESHOLD},
    },
}
