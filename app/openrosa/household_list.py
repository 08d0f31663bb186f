"""The household list a phone carries offline: `households.csv`, the media file behind the XForm's
`select_one_from_file` question, holding only the households in the caller's areas.

Columns: `name` (the household id, which becomes the visit's `household_id`), `label` (what the cadre
picks from: 户编号, head's name, hamlet or village), then 户编号, head, village, group (hamlet), lat, lon
for lookups on the phone. Its md5 goes into the manifest, so Collect downloads it again when it changes.
"""

from __future__ import annotations

import csv
import hashlib
import io

from app.areas.models import Area
from app.auth.principal import Principal
from app.households.models import Household

FILE_NAME = "households.csv"
COLUMNS = ("name", "label", "number", "head", "village", "group", "lat", "lon")


def household_csv(principal: Principal) -> bytes:
    """The caller's households as CSV (UTF-8), ordered by 户编号 so the same data gives the same bytes."""
    principal.require("households.read")
    rows = list(
        Household.objects(principal.scope())
        .only("id", "number", "head_name", "village_code", "lat", "lon")
        .order_by("number")
        .as_pymongo()
    )
    codes = {r["village_code"] for r in rows} | {r["village_code"][:12] for r in rows}
    names = {
        a["code"]: a["name"] for a in Area.objects(code__in=list(codes)).only("code", "name").as_pymongo()
    }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        code = r["village_code"]
        village = names.get(code[:12], "")
        group = names.get(code, "") if len(code) == 15 else ""
        writer.writerow(
            [
                str(r["_id"]),
                " ".join(p for p in (r["number"], r["head_name"], group or village) if p),
                r["number"],
                r["head_name"],
                village,
                group,
                "" if r.get("lat") is None else r["lat"],
                "" if r.get("lon") is None else r["lon"],
            ]
        )
    return out.getvalue().encode("utf-8")


def md5_of(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()
