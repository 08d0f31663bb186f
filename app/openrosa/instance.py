"""A submitted XForm instance, read safely and mapped back to the visit JSON `POST /api/v1/visits` takes.

The XML is untrusted: defusedxml refuses DTDs and entities (no billion laughs, no external entities), and
size, depth and element-count limits bound the work before anything is looked at. Element paths are our
answer paths (see xform.py); values are turned into the JSON types the answers schema expects, and a value
that does not convert is passed through unchanged so the one answers validator reports it (422).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from app.errors import InvalidSubmission, UnknownForm
from app.forms.fields import Field
from app.forms.version import FormVersion
from app.openrosa.xform import XForm

MAX_XML_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 32
MAX_ELEMENTS = 20_000


@dataclass(frozen=True)
class Instance:
    """What one submitted instance says: the visit JSON, and which attached file is which slot."""

    form_id: str
    form_version: int
    version_string: str
    visit: dict[str, Any]  # the JSON body POST /api/v1/visits would receive
    files: dict[str, str] = field(default_factory=dict)  # file name -> evidence slot
    audit_file: str | None = None
    deprecated_id: str | None = None
    device_id: str | None = None


def parse_xml(data: bytes) -> Element:
    """The instance's root element; InvalidSubmission for anything too large, too deep or not plain XML."""
    if len(data) > MAX_XML_BYTES:
        raise InvalidSubmission("表单数据过大 Instance XML too large", limit=MAX_XML_BYTES)
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException) as err:
        raise InvalidSubmission(f"表单数据不是有效的 XML Not valid XML: {err}") from err
    for count, (depth, _element) in enumerate(_walk(root), start=1):
        if depth > MAX_DEPTH or count > MAX_ELEMENTS:
            raise InvalidSubmission("表单数据层级或元素过多 Instance XML too deep or too large")
    return root


def _walk(element: Element, depth: int = 1) -> Iterator[tuple[int, Element]]:
    yield depth, element
    for child in element:
        yield from _walk(child, depth + 1)


def local(tag: str) -> str:
    """An element or attribute name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def form_of(root: Element) -> tuple[str, str]:
    """(form id, version string) from the instance root's attributes."""
    attrs = {local(k): v for k, v in root.attrib.items()}
    form_id = attrs.get("id") or local(root.tag)
    return form_id, attrs.get("version", "")


def version_number(version_string: str) -> int:
    """Our form version from an XForm version string "<version>-<hash>"; older hashes still map."""
    head = version_string.split("-", 1)[0]
    if not head.isdigit():
        raise UnknownForm(version=version_string)
    return int(head)


def read_instance(root: Element, form: FormVersion, xform: XForm) -> Instance:
    """Map the instance to the visit JSON and its files; the household and times are checked later."""
    top = _children(root)
    meta = _children(_first(top, "meta")) if _first(top, "meta") is not None else {}
    instance_id = _instance_uuid(_text(_first(meta, "instanceID")))
    if instance_id is None:
        raise InvalidSubmission("缺少 instanceID Missing meta/instanceID")
    location = _geopoint(_text(_first(top, "location")))
    visit = {
        "instance_id": instance_id,
        "form_id": form.form_id,
        "form_version": form.version,
        "household_id": _text(_first(top, "household")),
        "started_at": _text(_first(top, "start")),
        "ended_at": _text(_first(top, "end")),
        "answers": answers_of(root, form.fields),
    }
    if location is not None:
        visit["location"] = location
    visit = {k: v for k, v in visit.items() if v is not None}
    files = {}
    for path, slot in xform.image_fields.items():
        name = _text(_at(root, path))
        if name:
            files[name] = slot
    return Instance(
        form_id=form.form_id,
        form_version=form.version,
        version_string=form_of(root)[1],
        visit=visit,
        files=files,
        audit_file=_text(_first(meta, "audit")),
        deprecated_id=_instance_uuid(_text(_first(meta, "deprecatedID"))),
        device_id=_text(_first(top, "deviceid")),
    )


def answers_of(container: Element, fields: tuple[Field, ...]) -> dict[str, Any]:
    """The answers under `container`, keyed and nested like our answers; unanswered fields are left out."""
    answers: dict[str, Any] = {}
    children = _children(container)
    for f in fields:
        if not f.has_answer:
            continue
        found = children.get(f.name, [])
        if f.type == "repeat":
            items = [answers_of(item, f.fields) for item in found if not _is_template(item)]
            if items:
                answers[f.name] = items
        elif f.type == "group":
            group = answers_of(found[0], f.fields) if found else {}
            if group:
                answers[f.name] = group
        else:
            value = _value(f, _text(found[0]) if found else None)
            if value is not None:
                answers[f.name] = value
    return answers


def _value(f: Field, text: str | None) -> Any:
    if text is None or text == "":
        return None
    if f.type == "integer":
        return _convert(int, text)
    if f.type == "decimal":
        return _convert(float, text)
    if f.type == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if f.type == "select_multiple":
        return text.split()
    if f.type == "geopoint":
        return _geopoint(text) or text
    return text


def _convert(kind, text: str) -> Any:
    try:
        return kind(text)
    except ValueError:
        return text


def _geopoint(text: str | None) -> dict[str, float] | None:
    """ODK's "lat lon altitude accuracy" as {lat, lon, accuracy_m}; None when absent or unreadable."""
    if not text:
        return None
    parts = text.split()
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    if len(numbers) < 2:
        return None
    point = {"lat": numbers[0], "lon": numbers[1]}
    if len(numbers) >= 4:
        point["accuracy_m"] = numbers[3]
    return point


def _instance_uuid(text: str | None) -> str | None:
    """Collect's "uuid:…" as a bare UUID; any other non-empty id gets a stable UUID derived from it."""
    if not text:
        return None
    raw = text.removeprefix("uuid:").strip()
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"openrosa-instance:{text}"))


def _children(element: Element | None) -> dict[str, list[Element]]:
    out: dict[str, list[Element]] = {}
    for child in element if element is not None else ():
        out.setdefault(local(child.tag), []).append(child)
    return out


def _first(children: dict[str, list[Element]], name: str) -> Element | None:
    found = children.get(name)
    return found[0] if found else None


def _at(root: Element, path: str) -> Element | None:
    node: Element | None = root
    for part in path.split("/"):
        node = _first(_children(node), part) if node is not None else None
    return node


def _text(element: Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _is_template(element: Element) -> bool:
    return any(local(k) == "template" for k in element.attrib)
