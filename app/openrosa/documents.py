"""The OpenRosa 1.0 XML documents a phone reads: the form list and a form's manifest, built with
ElementTree (never by string formatting, so names and URLs are always escaped)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, tostring

from app.openrosa.xform import XForm

FORM_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"


@dataclass(frozen=True)
class MediaFile:
    name: str
    md5: str
    url: str


def form_list(forms: Iterable[tuple[XForm, str, str]]) -> bytes:
    """`<xforms>` with one `<xform>` per (XForm, download URL, manifest URL)."""
    root = Element("xforms", xmlns=FORM_LIST_NS)
    for xform, download_url, manifest_url in forms:
        item = SubElement(root, "xform")
        for tag, text in (
            ("formID", xform.form_id),
            ("name", xform.title),
            ("version", xform.version_string),
            ("hash", f"md5:{xform.md5}"),
            ("downloadUrl", download_url),
            ("manifestUrl", manifest_url),
        ):
            SubElement(item, tag).text = text
    return _document(root)


def manifest(files: Iterable[MediaFile]) -> bytes:
    """`<manifest>` listing each media file with its md5, so Collect fetches only what changed."""
    root = Element("manifest", xmlns=MANIFEST_NS)
    for media in files:
        item = SubElement(root, "mediaFile")
        SubElement(item, "filename").text = media.name
        SubElement(item, "hash").text = f"md5:{media.md5}"
        SubElement(item, "downloadUrl").text = media.url
    return _document(root)


def _document(root: Element) -> bytes:
    return tostring(root, encoding="utf-8", xml_declaration=True)
