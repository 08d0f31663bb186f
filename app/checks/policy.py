"""The evidence policy: thresholds from the environment, per-form rules from forms/evidence_policy.yaml.

The file sits beside the forms but outside any published version, so changing a rule never touches a
locked form. It is validated against policy_schema.json when loaded; a bad file stops the worker.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType

import jsonschema
import yaml

from app.images.hashing import NEAR_DUPLICATE_DISTANCE

POLICY_FILE = "evidence_policy.yaml"
_SCHEMA = json.loads((Path(__file__).with_name("policy_schema.json")).read_text())


@dataclass(frozen=True)
class CheckPolicy:
    time_tolerance: timedelta = timedelta(minutes=60)
    max_distance_m: float = 500.0
    near_duplicate_distance: int = NEAR_DUPLICATE_DISTANCE
    unverifiable_photo: str = "error"
    min_duration_minutes: float = 5.0
    max_speed_kmh: float = 80.0
    max_location_accuracy_m: float = 100.0
    per_form: Mapping[str, Mapping] = field(default_factory=lambda: MappingProxyType({}))

    def for_form(self, form_id: str) -> CheckPolicy:
        """This policy with the form's own rules applied."""
        return replace(self, **dict(self.per_form.get(form_id, {})))


def load_policy(forms_dir: str | Path, base: CheckPolicy) -> CheckPolicy:
    """`base` with the file's defaults and per-form rules; the file is optional, a bad one raises."""
    path = Path(forms_dir) / POLICY_FILE
    if not path.exists():
        return base
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    jsonschema.validate(document, _SCHEMA)
    forms = {name: MappingProxyType(dict(rules)) for name, rules in (document.get("forms") or {}).items()}
    return replace(base, **document["defaults"], per_form=MappingProxyType(forms))
