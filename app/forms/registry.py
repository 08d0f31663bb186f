"""The forms an app serves: every published version of every form, loaded and checked once at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import UnknownForm
from app.forms.loader import load_form_versions
from app.forms.version import FormVersion

if TYPE_CHECKING:
    from flask import Flask


class FormRegistry:
    """Published form versions by form id; the current version of a form is its highest published one.

    Drafts are checked by the loader but never served: answers are only taken against published versions.
    """

    def __init__(self, versions: list[FormVersion]):
        self._versions: dict[str, dict[int, FormVersion]] = {}
        for form in versions:
            if form.published:
                self._versions.setdefault(form.form_id, {})[form.version] = form

    def get(self, form_id: str, version: int | None = None) -> FormVersion:
        """The current version, or the given one; UnknownForm if there is no such published version."""
        versions = self._versions.get(form_id)
        if not versions:
            raise UnknownForm(form_id=form_id)
        if version is None:
            return versions[max(versions)]
        if version not in versions:
            raise UnknownForm(form_id=form_id, version=version)
        return versions[version]

    def list(self) -> list[FormVersion]:
        """The current version of each published form, by form id."""
        return [self.get(form_id) for form_id in sorted(self._versions)]

    def versions(self, form_id: str) -> list[int]:
        return sorted(self._versions.get(form_id, ()))


def load_registry(forms_dir: str | Path) -> FormRegistry:
    """Load and check a forms directory; FormDefinitionError names every bad or altered file."""
    return FormRegistry(load_form_versions(forms_dir))


def register_forms(app: Flask) -> None:
    """Load the forms once per app into app.extensions["forms"]; a bad or altered form stops start-up."""
    app.extensions["forms"] = load_registry(app.config["DOORSTEP"].FORMS_DIR)
