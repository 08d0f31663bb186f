"""Form-driven intake: versioned form definitions in forms/, the answers they accept, the assessment
they declare, and each form's role (forms/settings/). Nothing here imports Flask except api.py; start-up
calls `register_forms(app)`."""

from app.forms.answers import validate_answers
from app.forms.assessment_rules import Assessment, AssessmentUnavailable, IndicatorResult, assess
from app.forms.fields import AttachmentSlot, Field
from app.forms.loader import FormDefinitionError, check_forms, parse_form
from app.forms.publish import publish
from app.forms.registry import FormRegistry, load_registry, register_forms
from app.forms.version import FormVersion

__all__ = [
    "Assessment",
    "AssessmentUnavailable",
    "AttachmentSlot",
    "Field",
    "FormDefinitionError",
    "FormRegistry",
    "FormVersion",
    "IndicatorResult",
    "assess",
    "check_forms",
    "load_registry",
    "parse_form",
    "publish",
    "register_forms",
    "validate_answers",
]
