"""Setting a phone up: the ODK Collect settings a QR code carries, and the QR code as a PNG.

Collect's "Configure with QR code" reads JSON settings compressed with zlib and then base64-encoded.
Two kinds: the server URL with the cadre's username (the password is typed on the phone, and HTTP Basic
is checked as any login is), or a server URL carrying a per-user app token (nothing to type; revocable).
Forms are kept matching the server (`match_exactly`), so a new form version or household list arrives
by itself, and finished visits are sent as soon as there is any signal.
"""

from __future__ import annotations

import base64
import io
import json
import zlib

import segno

PROJECT_NAME = "入户核查 Doorstep"


def collect_settings(server_url: str, username: str | None = None, project: str = PROJECT_NAME) -> dict:
    """ODK Collect's settings for this server (and user, when given)."""
    general = {
        "server_url": server_url,
        "form_update_mode": "match_exactly",
        "periodic_form_updates_check": "every_one_hour",
        "autosend": "wifi_and_cellular",
        "constraint_behavior": "on_swipe",
        "app_language": "zh",
    }
    if username:
        general["username"] = username
    return {
        "general": general,
        "admin": {"change_server": False, "change_form_metadata": False},
        "project": {"name": project, "icon": "入", "color": "#b22222"},
    }


def settings_payload(settings: dict) -> str:
    """The QR code's text: zlib-compressed JSON, base64-encoded, as Collect expects."""
    raw = json.dumps(settings, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(zlib.compress(raw)).decode("ascii")


def read_payload(payload: str) -> dict:
    """The settings back from a QR code's text (what Collect does when it scans it)."""
    return json.loads(zlib.decompress(base64.b64decode(payload)).decode("utf-8"))


def qr_png(settings: dict, scale: int = 6) -> bytes:
    """A PNG QR code of the settings, large enough to scan from a printed sheet or a screen."""
    out = io.BytesIO()
    segno.make(settings_payload(settings), error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
