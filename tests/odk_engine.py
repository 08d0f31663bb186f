"""Drive ODK's own XForms engine (tests/odk/fill.mjs, in Node) and submit what it produces as ODK Collect
does: HEAD, then multipart POSTs with `xml_submission_file` and one part per file."""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
from pathlib import Path
from typing import Any

ODK_DIR = Path(__file__).parent / "odk"


def run_engine(jobs: list[dict]) -> list[dict]:
    """Fill every job's XForm in one Node process; returns the engine's results in order."""
    done = subprocess.run(
        ["node", "fill.mjs"],
        cwd=ODK_DIR,
        input=json.dumps({"jobs": jobs}).encode(),
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return json.loads(done.stdout)["results"]


def refs(root: str, answers: dict, prefix: str = "") -> tuple[dict[str, Any], dict[str, int]]:
    """Our nested answers as the engine's node references (values) and repeat counts."""
    values: dict[str, Any] = {}
    repeats: dict[str, int] = {}
    base = f"/{root}{prefix}"
    for name, value in answers.items():
        if isinstance(value, dict):
            inner, counts = refs(root, value, f"{prefix}/{name}")
            values |= inner
            repeats |= counts
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            repeats[f"{base}/{name}"] = len(value)
            # a bounded repeat is preceded by its count question (app.openrosa.xform), which sets its size
            counted = re.sub(r"\[\d+\]", "", f"{prefix}/{name}").strip("/").replace("/", "_")
            values[f"{base}/{counted}_count"] = str(len(value))
            for i, item in enumerate(value, start=1):
                inner, counts = refs(root, item, f"{prefix}/{name}[{i}]")
                values |= inner
                repeats |= counts
        elif isinstance(value, bool):
            values[f"{base}/{name}"] = "true" if value else "false"
        elif isinstance(value, list):
            values[f"{base}/{name}"] = value
        else:
            values[f"{base}/{name}"] = str(value)
    return values, repeats


def image_file(name: str, data: bytes) -> dict:
    kind = "image/png" if data[:4] == b"\x89PNG" else "image/jpeg"
    return {"name": name, "type": kind, "base64": base64.b64encode(data).decode()}


def collect_post(
    client, url: str, headers: dict, xml: str | bytes, files: dict[str, bytes], incomplete=False
):
    """One submission POST as Collect sends it: the XML part, one part per file named by its file name."""
    data: dict[str, Any] = {
        "xml_submission_file": (
            io.BytesIO(xml.encode() if isinstance(xml, str) else xml),
            "submission.xml",
            "text/xml",
        )
    }
    for name, body in files.items():
        kind = (
            "image/png" if body[:4] == b"\x89PNG" else "text/csv" if name.endswith(".csv") else "image/jpeg"
        )
        data[name] = (io.BytesIO(body), name, kind)
    if incomplete:
        data["*isIncomplete*"] = "yes"
    return client.post(
        url, data=data, headers={**headers, "X-OpenRosa-Version": "1.0"}, content_type="multipart/form-data"
    )


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


AUDIT_CSV = (
    b"event,node,start,end,latitude,longitude,accuracy\n"
    b"form start,,1763900000000,,36.45,115.45,8\n"
    b"location tracking enabled,,1763900000001,,,,\n"
    b"question,/household_visit/household,1763900000100,1763900005000,36.45,115.45,8\n"
    b"form exit,,1763900900000,,36.45,115.45,6\n"
)
