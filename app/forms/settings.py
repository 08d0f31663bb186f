"""Per-form settings that are not part of a locked form version: `forms/settings/<form_id>.yaml`.

A published version is immutable (its sha256 is in the lock file), but what a form is *for* is a
decision about the form, not about its questions, and may be corrected without a new version. Each
settings file is one mapping with named sections; today:

    role:                            # what the form's visits contribute to
      contributes: [assessment, satisfaction]   # any of assessment | satisfaction | rectification
      satisfaction_field: talk.satisfaction     # where the satisfaction answer is (with satisfaction)
      moves_household: true          # whether its visits move the household's verification status

`rectification` says the form records follow-up of ledger items: it touches neither the assessment nor
the satisfaction rate (nothing reads it automatically yet). A form without a settings file contributes
to the assessment and moves the household when it declares assessment rules, and to nothing otherwise.
Other per-form policies (e.g. evidence checks) belong in further sections of the same file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.forms.fields import walk

if TYPE_CHECKING:
    from app.forms.version import FormVersion

SETTINGS_DIR = "settings"
CONTRIBUTIONS = ("assessment", "satisfaction", "rectification")
SATISFACTION_CODES = ("satisfied", "basically_satisfied", "dissatisfied")

SETTINGS_SCHEMA = {
    "type": "object",
    "required": ["form_id", "role"],
    "additionalProperties": False,
    "properties": {
        "form_id": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "role": {
            "type": "object",
            "required": ["contributes", "moves_household"],
            "additionalProperties": False,
            "properties": {
                "contributes": {"type": "array", "items": {"enum": list(CONTRIBUTIONS)}, "uniqueItems": True},
                "satisfaction_field": {"type": "string", "minLength": 1},
                "moves_household": {"type": "boolean"},
            },
        },
    },
}


@dataclass(frozen=True)
class FormRole:
    """What a form's visits contribute to, and whether they move the household's status."""

    contributes: tuple[str, ...] = ()
    moves_household: bool = False
    satisfaction_field: str | None = None

    def to_dict(self) -> dict:
        """The snapshot a visit keeps (what the household lifecycle reads)."""
        return {"contributes": list(self.contributes), "moves_household": self.moves_household}

    @classmethod
    def of(cls, data: dict) -> FormRole:
        return cls(tuple(data["contributes"]), data["moves_household"], data.get("satisfaction_field"))

    @classmethod
    def default_for(cls, versions: Iterable[FormVersion]) -> FormRole:
        """Without a settings file: an assessing form assesses and moves the household; others do nothing."""
        if all(v.assessment is not None for v in versions):
            return cls(("assessment",), True)
        return cls()


def role_problems(role: FormRole, versions: list[FormVersion]) -> list[tuple[str, str]]:
    """(json path, message) for a role the form's versions cannot honour."""
    problems = []
    if "assessment" in role.contributes:
        for version in versions:
            if version.assessment is None:
                problems.append(("role.contributes", f"v{version.version} has no assessment rules"))
    if ("satisfaction" in role.contributes) != bool(role.satisfaction_field):
        problems.append(("role.satisfaction_field", "give it exactly when the form contributes satisfaction"))
    elif role.satisfaction_field:
        for version in versions:
            field = next((f for f in walk(version.fields) if f.path == role.satisfaction_field), None)
            if field is None or field.type != "select_one" or not set(SATISFACTION_CODES) <= set(field.codes):
                problems.append(
                    (
                        "role.satisfaction_field",
                        f"v{version.version}: {role.satisfaction_field} is not a select_one with choices "
                        f"{', '.join(SATISFACTION_CODES)}",
                    )
                )
    return problems
