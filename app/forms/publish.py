"""Publishing a form version: check it, mark it published, record its digest in the lock file.

After this the version is immutable: loading refuses it if its content changes. Changes go into v<n+1>.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from app.forms.loader import (
    FormDefinitionError,
    definition_problems,
    digest_of,
    load_standards,
    parse_yaml,
    read_lock,
    write_lock,
)

_DRAFT_LINE = re.compile(r"^(status:[ \t]*)draft\b", re.MULTILINE)


def publish(forms_dir: str | Path, form_id: str, version: int) -> str:
    """Record form_id v<version> as published and return its sha256; idempotent for unchanged content."""
    root = Path(forms_dir)
    path = root / form_id / f"v{version}.yaml"
    shown = f"{root.name}/{form_id}/v{version}.yaml"
    if not path.is_file():
        raise FormDefinitionError([f"{shown}: no such form version file"])
    text = path.read_text("utf-8")
    try:
        definition = parse_yaml(text)
    except yaml.YAMLError as err:
        raise FormDefinitionError([f"{shown}: not valid YAML: {err}"]) from None
    was_draft = isinstance(definition, dict) and definition.get("status") == "draft"
    if was_draft:
        definition["status"] = "published"
    problems = [
        f"{shown}: {p}: {m}" if p else f"{shown}: {m}"
        for p, m in definition_problems(definition, load_standards(root))
    ]
    if not problems and (definition["form_id"], definition["version"]) != (form_id, version):
        problems.append(f"{shown}: form_id and version inside the file differ from its place")
    if problems:
        raise FormDefinitionError(problems)
    digest = digest_of(definition)
    lock = read_lock(root)
    key = f"{form_id}/v{version}"
    if key in lock:
        if lock[key] != digest:
            raise FormDefinitionError(
                [
                    f"{shown}: already published with other content; published versions are immutable, "
                    f"create v{version + 1} instead"
                ]
            )
        return digest
    if was_draft:
        text = _DRAFT_LINE.sub(r"\1published", text, count=1)
        if digest_of(parse_yaml(text)) != digest:
            raise FormDefinitionError([f"{shown}: change 'status: draft' to 'status: published' by hand"])
        path.write_text(text, "utf-8")
    lock[key] = digest
    write_lock(root, lock)
    return digest
