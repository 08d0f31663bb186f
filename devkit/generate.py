"""A deterministic synthetic county: towns, villages, households with members and locations, users,
and visits with real JPEG photos (EXIF time and GPS near the household) and PNG signatures.

    python -m devkit.generate --households 2000 --visits 200 --seed 7
    python -m devkit.generate --demo        # what scripts/run.sh loads: small, with one login per role

Visits go through the same intake service as the API (validation, S3, journaled writes, queueing).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app import create_app
from app.areas.models import Area
from app.areas.service import build_area
from app.auth.principal import SYSTEM
from app.clock import now
from app.config import Config
from app.forms.registry import load_registry
from app.households.idnumbers import check_digit
from app.households.models import Household
from app.users.models import User
from app.users.service import create_user, principal_for
from app.visits import intake
from app.visits.upload import receive
from devkit.answers import sample_answers
from devkit.imagegen import make_photo, make_signature

PROVINCE, CITY, COUNTY = ("370000000000", "山东省"), ("371500000000", "聊城市"), ("371525000000", "冠县")
TOWN_NAMES = [
    "清泉街道",
    "崇文街道",
    "贾镇",
    "桑阿镇",
    "柳林镇",
    "兰沃乡",
    "东古城镇",
    "北馆陶镇",
    "店子镇",
    "定远寨镇",
]
VILLAGE_WORDS = [
    "王庄",
    "李屯",
    "张营",
    "刘集",
    "后寨",
    "前街",
    "东关",
    "西河",
    "南坡",
    "北洼",
    "马坊",
    "杨楼",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "秀英", "桂兰", "志强", "玉梅", "德胜", "春花", "永福", "海燕", "金山", "淑珍", "明亮"]
# poverty statuses of the demo register, roughly as a county looks after 2020: most lifted out
POVERTY_MIX = ["poor"] * 3 + ["lifted_supported"] * 10 + ["lifted_unsupported"] * 5 + ["unstable", "marginal"]
CAUSES = ["因病", "因残", "因学", "缺技术", "缺劳力", "缺资金", "自身发展动力不足"]
CENTER = (36.484, 115.443)  # 冠县
DEMO_PASSWORD = "doorstep-demo-1"


def form_slots(form_id: str = "household_visit") -> dict[str, str]:
    """The form's photo and signature slots, read from its definition (the one owner of the slot list)."""
    form = load_registry(Config().FORMS_DIR).get(form_id)
    return {s.slot: s.kind for s in form.attachment_slots if s.kind in ("photo", "signature")}


SLOTS = form_slots()


@dataclass
class County:
    towns: list[str]
    villages: list[str]


def build_areas(rng: random.Random, towns: int, villages_per_town: int) -> County:
    codes = {PROVINCE[0]: PROVINCE[1], CITY[0]: CITY[1], COUNTY[0]: COUNTY[1]}
    county = County([], [])
    for t in range(1, towns + 1):
        town = f"{COUNTY[0][:6]}{t:03d}000"
        codes[town] = TOWN_NAMES[(t - 1) % len(TOWN_NAMES)] + ("" if t <= len(TOWN_NAMES) else str(t))
        county.towns.append(town)
        for v in range(1, villages_per_town + 1):
            village = f"{town[:9]}{v:03d}"
            codes[village] = VILLAGE_WORDS[rng.randrange(len(VILLAGE_WORDS))] + "村"
            county.villages.append(village)
    existing = set(Area.objects(code__in=list(codes)).distinct("code"))
    new = [build_area(code, name) for code, name in codes.items() if code not in existing]
    if new:
        Area.objects.insert(new, load_bulk=False)
    return county


def person_id(rng: random.Random, born: datetime) -> str:
    first17 = f"371525{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + check_digit(first17)


def build_households(
    rng: random.Random, county: County, per_village: int, helpers: dict[str, User]
) -> list[Household]:
    stamp, docs = now(), []
    for vi, village in enumerate(county.villages):
        vlat = CENTER[0] + rng.uniform(-0.15, 0.15)
        vlon = CENTER[1] + rng.uniform(-0.15, 0.15)
        for h in range(per_village):
            number = f"{village}{h + 1:04d}"
            surname = SURNAMES[rng.randrange(len(SURNAMES))]
            head_born = datetime(rng.randint(1945, 1985), rng.randint(1, 12), rng.randint(1, 28))
            members = [
                {
                    "name": surname + GIVEN[rng.randrange(len(GIVEN))],
                    "relation": "户主",
                    "id_number": person_id(rng, head_born),
                    "birth_date": head_born,
                    "labour_ability": rng.choice(["普通劳动力", "丧失劳动力"]),
                    "health": rng.choice(["健康", "长期慢性病", "残疾"]),
                    "schooling": "小学",
                }
            ]
            for _ in range(rng.randint(0, 4)):
                born = datetime(rng.randint(1950, 2018), rng.randint(1, 12), rng.randint(1, 28))
                members.append(
                    {
                        "name": surname + GIVEN[rng.randrange(len(GIVEN))],
                        "relation": rng.choice(["配偶", "子女", "父母", "孙子女"]),
                        "id_number": person_id(rng, born),
                        "birth_date": born,
                        "labour_ability": "普通劳动力",
                        "health": "健康",
                        "schooling": "在校生" if born.year > 2008 else "初中",
                    }
                )
            helper = helpers.get(village)
            docs.append(
                {
                    "number": number,
                    "village_code": village,
                    "area_path": build_area(village, "").path,
                    "head_name": members[0]["name"],
                    "id_number": members[0]["id_number"],
                    "phone": f"13{rng.randrange(10**9):09d}",
                    "address": f"{village[-3:]}组{h + 1}号",
                    "lat": round(vlat + rng.uniform(-0.004, 0.004), 6),
                    "lon": round(vlon + rng.uniform(-0.004, 0.004), 6),
                    "category": rng.choice(["with_labour", "without_labour"]),
                    "poverty_causes": rng.sample(CAUSES, rng.randint(1, 2)),
                    "members": members,
                    "helper_id": str(helper.id) if helper else None,
                    "helper_name": (helper.display_name if helper else None),
                    "status": "registered",
                    "poverty_status": rng.choice(POVERTY_MIX),
                    "version": 1,
                    "created_at": stamp,
                    "updated_at": stamp,
                    "_vi": vi,
                }
            )
    collection = Household._get_collection()
    known = set(collection.distinct("number", {"number": {"$in": [d["number"] for d in docs]}}))
    fresh = [{k: v for k, v in d.items() if k != "_vi"} for d in docs if d["number"] not in known]
    for start in range(0, len(fresh), 5000):
        collection.insert_many(fresh[start : start + 5000], ordered=False)
    return list(Household.objects(number__in=[d["number"] for d in docs]))


def ensure_user(username: str, role: str, areas: list[str], name: str) -> User:
    user = User.objects(username=username).first()
    return user or create_user(
        SYSTEM, username=username, password=DEMO_PASSWORD, role=role, area_codes=areas, display_name=name
    )


def build_users(county: County) -> tuple[dict[str, User], dict[str, User]]:
    """One cadre per village (its helper), one verifier per town, a county supervisor and an admin."""
    logins = {
        "admin": ensure_user("admin", "admin", [PROVINCE[0]], "系统管理员"),
        "supervisor": ensure_user("county_supervisor", "supervisor", [COUNTY[0]], "冠县扶贫办"),
        "verifier": ensure_user("town1_verifier", "verifier", [county.towns[0]], "清泉街道核查员"),
    }
    helpers = {}
    for i, village in enumerate(county.villages):
        helpers[village] = ensure_user(f"cadre_{village[-6:]}", "cadre", [village], f"村干部{i + 1}")
    for town in county.towns[1:]:
        ensure_user(f"verifier_{town[6:9]}", "verifier", [town], f"核查员{town[6:9]}")
    logins["cadre"] = helpers[county.villages[0]]
    return logins, helpers


def visit_photo(seed: int, i: int, household: Household, when: datetime, size: tuple[int, int]) -> bytes:
    """The i-th photo of a visit: EXIF time a few minutes into the visit, GPS at the household."""
    return make_photo(
        seed * 10 + i,
        width=size[0],
        height=size[1],
        taken_at=when + timedelta(minutes=5 + i),
        gps=(household.lat, household.lon),
    )


def submit_visit(
    svc: intake.Intake,
    cadre: User,
    household: Household,
    seed: int,
    when: datetime,
    photo_size: tuple[int, int] = (1600, 1200),
    replace: dict[str, bytes] | None = None,
) -> str:
    """A complete visit through the intake service: JSON, four photos, four signatures.

    `replace` gives some slots other bytes (the demo's reused photo)."""
    rng = random.Random(seed)
    principal = principal_for(cadre)
    data = {
        "instance_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "form_id": "household_visit",
        "form_version": 1,
        "household_id": str(household.id),
        "started_at": when,
        "ended_at": when + timedelta(minutes=40),
        "location": {"lat": household.lat, "lon": household.lon, "accuracy_m": 12.0},
        "answers": sample_answers(household, rng),
    }
    visit, _ = intake.create_visit(svc, principal, data)
    for i, (slot, kind) in enumerate(SLOTS.items()):
        if replace and slot in replace:
            body = replace[slot]
        elif kind == "photo":
            body = visit_photo(seed, i, household, when, photo_size)
        else:
            body = make_signature(seed * 10 + i)
        upload = receive(io.BytesIO(body), max_bytes=svc.max_bytes)
        try:
            visit = intake.attach(svc, principal, str(visit.id), slot, upload).visit
        finally:
            upload.close()
    return str(visit.id)


def generate(
    app,
    *,
    seed: int,
    towns: int,
    villages_per_town: int,
    households_per_village: int,
    visits: int,
    photo_size: tuple[int, int] = (1600, 1200),
    reused_photo: bool = False,
) -> dict:
    """Areas, users, households and `visits` visits; with `reused_photo`, one more visit whose
    front-of-house photo is the first visit's (the checks flag it: the console's demo of a reuse)."""
    rng = random.Random(seed)
    county = build_areas(rng, towns, villages_per_town)
    logins, helpers = build_users(county)
    households = build_households(rng, county, households_per_village, helpers)
    ext, cfg = app.extensions, app.config["DOORSTEP"]
    svc = intake.Intake(
        store=ext["store"],
        queue=ext["queue"],
        forms=ext["forms"],
        max_bytes=cfg.MAX_UPLOAD_BYTES,
        max_pixels=cfg.MAX_IMAGE_PIXELS,
    )
    visited = 0
    # one visit every 50 minutes (closer for many), all in the past year: intake refuses other times
    step = min(timedelta(minutes=50), timedelta(days=300) / max(1, visits))
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2) - step * visits
    for household in households[:visits]:
        if household.latest_visit_id:
            continue
        cadre = helpers[household.village_code]
        submit_visit(
            svc,
            cadre,
            household,
            seed * 100_000 + visited,
            base + step * visited,
            photo_size,
        )
        visited += 1
    first = households[0] if households else None
    if reused_photo and visited and len(households) > visits and not households[visits].latest_visit_id:
        copy = visit_photo(seed * 100_000, 0, first, base, photo_size)  # the first visit's 房前 photo
        home = households[visits]
        when = base + timedelta(minutes=50 * visited)
        slot = "photo.front_of_house"
        submit_visit(
            svc, helpers[home.village_code], home, seed * 100_000 + visited, when, photo_size, {slot: copy}
        )
        visited += 1
    return {
        "towns": len(county.towns),
        "villages": len(county.villages),
        "households": len(households),
        "visits_created": visited,
        "logins": {role: u.username for role, u in logins.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--towns", type=int, default=3)
    parser.add_argument("--villages-per-town", type=int, default=3)
    parser.add_argument("--households", type=int, default=None, help="total (spread over the villages)")
    parser.add_argument("--visits", type=int, default=6)
    parser.add_argument("--demo", action="store_true", help="small demo data and one login per role")
    args = parser.parse_args()
    villages = args.towns * args.villages_per_town
    per_village = max(1, (args.households or villages * 4) // villages)
    app = create_app()
    with app.app_context():
        result = generate(
            app,
            seed=args.seed,
            towns=args.towns,
            villages_per_town=args.villages_per_town,
            households_per_village=per_village,
            visits=args.visits,
            reused_photo=args.demo,
        )
    if args.demo:
        result["password"] = DEMO_PASSWORD
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
