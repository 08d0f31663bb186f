"""Reading forms/ : YAML files checked against the JSON Schema and checks.py, and the lock that keeps
published versions immutable.

Layout: forms/<form_id>/v<version>.yaml, forms/standards/<name>.yaml, forms/published.lock.json
({"<form_id>/v<version>": "<sha256 of the canonical JSON of the file's content>"}), and the per-form
settings that are not locked, forms/settings/<form_id>.yaml (app/forms/settings.py). Every problem is
reported as "<file>: <json path>: <message>", the file shown from the forms directory's own name.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from app.forms.form_schema import FORM_SCHEMA, STANDARD_SCHEMA
from app.forms.lint import problems_in
from app.forms.settings import SETTINGS_DIR, SETTINGS_SCHEMA, FormRole, role_problems
from app.forms.version import FormVersion

LOCK_FILE = "published.lock.json"
STANDARDS_DIR = "standards"
VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.yaml$")
_FORM_VALIDATOR = Draft202012Validator(FORM_SCHEMA)
_STANDARD_VALIDATOR = Draft202012Validator(STANDARD_SCHEMA)
_SETTINGS_VALIDATOR = Draft202012Validator(SETTINGS_SCHEMA)


class FormDefinitionError(Exception):
    """Form files that cannot be used; `problems` lists each one with its file and JSON path.

    A start-up and tooling error, not an HTTP one: the app refuses to start rather than serve a bad form.
    """

    def __init__(self, problems: list[str]):
        super().__init__("form definitions have problems:\n  " + "\n  ".join(problems))
        self.problems = problems


def canonical_json(data: Any) -> bytes:
    """The one byte form of a JSON value that digests and ETags are computed over."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def digest_of(data: Any) -> str:
    return hashlib.sha256(canonical_json(data)).hexdigest()


@dataclass
class Scan:
    """Everything found in a forms directory: usable definitions, standards, and problems."""

    definitions: list[tuple[dict, str]] = field(default_factory=list)  # (definition, digest)
    standards: dict[str, list] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def check_forms(forms_dir: str | Path) -> list[str]:
    """Every problem in a forms directory (empty when all is well); for `doorstep check-forms`."""
    return _load(forms_dir)[1]


def load_form_versions(forms_dir: str | Path) -> list[FormVersion]:
    """All form versions (published and draft) with their form's role, or FormDefinitionError naming
    every problem."""
    versions, problems = _load(forms_dir)
    if problems:
        raise FormDefinitionError(problems)
    return versions


def _load(forms_dir: str | Path) -> tuple[list[FormVersion], list[str]]:
    found = scan(forms_dir)
    if found.problems:
        return [], found.problems
    versions = [FormVersion.from_definition(d, digest, found.standards) for d, digest in found.definitions]
    return versions, _apply_settings(Path(forms_dir), versions)


def _apply_settings(root: Path, versions: list[FormVersion]) -> list[str]:
    """Give each version its form's role (from forms/settings/, or the default); returns problems."""
    by_form: dict[str, list[FormVersion]] = {}
    for version in versions:
        by_form.setdefault(version.form_id, []).append(version)
    roles = {form_id: FormRole.default_for(group) for form_id, group in by_form.items()}
    problems: list[str] = []
    folder = root / SETTINGS_DIR
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        shown = _shown(root, path)
        data = _read_yaml(path, shown, problems)
        if data is None:
            continue
        errors = sorted(_SETTINGS_VALIDATOR.iter_errors(data), key=_document_order)
        if errors:
            problems.extend(_line(shown, json_path(e.absolute_path), e.message) for e in errors)
            continue
        if data["form_id"] != path.stem or path.stem not in by_form:
            problems.append(_line(shown, "form_id", f"{data['form_id']!r}: no form {path.stem!r} to set"))
            continue
        role = FormRole.of(data["role"])
        found = role_problems(role, by_form[path.stem])
        problems.extend(_line(shown, where, message) for where, message in found)
        if not found:
            roles[path.stem] = role
    for version in versions:
        version.role = roles[version.form_id]
    return problems


def parse_form(definition: Mapping[str, Any], *, standards: Mapping[str, list] | None = None) -> FormVersion:
    """A FormVersion from a definition held in memory (tests, tools); FormDefinitionError if it is bad."""
    problems = [_line("<definition>", path, msg) for path, msg in definition_problems(definition, standards)]
    if problems:
        raise FormDefinitionError(problems)
    return FormVersion.from_definition(dict(definition), digest_of(definition), standards)


def definition_problems(
    definition: Any, standards: Mapping[str, list] | None = None
) -> list[tuple[str, str]]:
    """(json path, message) pairs: the JSON Schema first, then the checks that need a valid structure."""
    errors = sorted(_FORM_VALIDATOR.iter_errors(definition), key=_document_order)
    if errors:
        return [(json_path(e.absolute_path), e.message) for e in errors]
    return problems_in(definition, standards)


def _document_order(error) -> list[tuple[bool, int | str]]:
    return [(isinstance(part, str), part) for part in error.absolute_path]


def scan(forms_dir: str | Path) -> Scan:
    root = Path(forms_dir)
    found = Scan()
    if not root.is_dir():
        found.problems.append(f"{root}: forms directory not found")
        return found
    found.standards = _load_standards(root, found.problems)
    lock = _read_lock(root, found.problems)
    seen: set[str] = set()
    for form_dir in sorted(
        p for p in root.iterdir() if p.is_dir() and p.name not in (STANDARDS_DIR, SETTINGS_DIR)
    ):
        if form_dir.name.startswith("."):
            continue
        for path in sorted(form_dir.iterdir()):
            if path.suffix not in (".yaml", ".yml"):
                continue
            match = VERSION_FILE.match(path.name)
            if not match:
                found.problems.append(f"{_shown(root, path)}: file name should be v<version>.yaml")
                continue
            entry = _check_file(root, path, form_dir.name, int(match[1]), found, lock)
            if entry:
                seen.add(entry)
    for key in sorted(set(lock) - seen):
        found.problems.append(
            f"{_shown(root, root / LOCK_FILE)}: {key}: published version is missing (published versions "
            "stay, so that old submissions keep validating)"
        )
    return found


def _check_file(root: Path, path: Path, form_id: str, version: int, found: Scan, lock: Mapping) -> str | None:
    """Check one form file; add it to `found` when usable. Returns its lock key if it could be read."""
    shown = _shown(root, path)
    definition = _read_yaml(path, shown, found.problems)
    if definition is None:
        return None
    problems = [_line(shown, p, m) for p, m in definition_problems(definition, found.standards)]
    if not problems:
        if definition["form_id"] != form_id:
            problems.append(
                _line(shown, "form_id", f"{definition['form_id']!r} differs from folder {form_id!r}")
            )
        if definition["version"] != version:
            problems.append(
                _line(shown, "version", f"{definition['version']} differs from file name v{version}")
            )
    key = f"{form_id}/v{version}"
    digest = digest_of(definition)
    if not problems and key in lock and lock[key] != digest:
        problems.append(
            f"{shown}: content no longer matches its sha256 in {LOCK_FILE}; published versions are "
            "immutable, put changes in a new version"
        )
    elif not problems and definition["status"] == "published" and key not in lock:
        problems.append(f"{shown}: marked published but not in {LOCK_FILE}; run publish to record it")
    found.problems.extend(problems)
    if not problems:
        found.definitions.append((definition, digest))
    return key


def _load_standards(root: Path, problems: list[str]) -> dict[str, list]:
    standards: dict[str, list] = {}
    folder = root / STANDARDS_DIR
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        shown = _shown(root, path)
        data = _read_yaml(path, shown, problems)
        if data is None:
            continue
        errors = list(_STANDARD_VALIDATOR.iter_errors(data))
        if errors:
            problems.extend(_line(shown, json_path(e.absolute_path), e.message) for e in errors)
            continue
        if data["standard"] != path.stem:
            problems.append(
                _line(shown, "standard", f"{data['standard']!r} differs from file name {path.stem!r}")
            )
            continue
        keys = [(t["region"], t["from_year"]) for t in data["thresholds"]]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            problems.append(_line(shown, "thresholds", f"more than one threshold for {duplicates}"))
            continue
        standards[path.stem] = data["thresholds"]
    return standards


def _read_lock(root: Path, problems: list[str]) -> dict[str, str]:
    path = root / LOCK_FILE
    if not path.exists():
        return {}
    try:
        lock = json.loads(path.read_text("utf-8"))
    except ValueError as err:
        problems.append(f"{_shown(root, path)}: not valid JSON: {err}")
        return {}
    if not isinstance(lock, dict) or not all(isinstance(v, str) for v in lock.values()):
        problems.append(f'{_shown(root, path)}: should map "<form_id>/v<version>" to a sha256')
        return {}
    return lock


def write_lock(root: Path, lock: Mapping[str, str]) -> None:
    text = json.dumps(dict(sorted(lock.items())), indent=2, ensure_ascii=False)
    (root / LOCK_FILE).write_text(text + "\n", "utf-8")


def read_lock(root: Path) -> dict[str, str]:
    problems: list[str] = []
    lock = _read_lock(root, problems)
    if problems:
        raise FormDefinitionError(problems)
    return lock


def load_standards(root: Path) -> dict[str, list]:
    problems: list[str] = []
    standards = _load_standards(root, problems)
    if problems:
        raise FormDefinitionError(problems)
    return standards


class _StrictLoader(yaml.SafeLoader):
    """YAML read the way JSON sees it: only true/false are booleans (not yes/no/on/off), dates stay text,
    and a key given twice is an error instead of silently keeping the last."""


_BOOL, _TIMESTAMP = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _mapping_without_duplicates)


def parse_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: no arbitrary objects


def _read_yaml(path: Path, shown: str, problems: list[str]) -> Any:
    try:
        return parse_yaml(path.read_text("utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problems.append(f"{shown}: not valid YAML: {getattr(err, 'problem', None) or err}{where}")
    except (OSError, UnicodeDecodeError) as err:
        problems.append(f"{shown}: cannot be read: {err}")
    return None


def json_path(parts) -> str:
    """["fields", 3, "choices", 0] -> "fields[3].choices[0]"."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def _line(shown: str, path: str, message: str) -> str:
    return f"{shown}: {path}: {message}" if path else f"{shown}: {message}"


def _shown(root: Path, path: Path) -> str:
    return f"{root.name}/{path.relative_to(root).as_posix()}"
