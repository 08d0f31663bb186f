"""Test data builders: an area tree, users with tokens, households with valid ID numbers."""

from __future__ import annotations

import itertools
import random

import factory

from app.areas.models import Area
from app.areas.service import build_area
from app.auth.principal import SYSTEM
from app.clock import now
from app.households.idnumbers import check_digit
from app.households.models import Household
from app.users.service import create_user

PASSWORD = "correct-horse-1"
PROVINCE = "370000000000"
_seq = itertools.count(1)


def area_tree(fanout: int = 3) -> list[Area]:
    """Province 37 with `fanout` cities, counties, towns and villages each, and one hamlet per village."""
    codes = {PROVINCE: "山东省"}
    for c in range(1, fanout + 1):
        city = f"37{c:02d}"
        codes[city.ljust(12, "0")] = f"第{c}市"
        for k in range(1, fanout + 1):
            county = f"{city}{k:02d}"
            codes[county.ljust(12, "0")] = f"第{c}-{k}县"
            for t in range(1, fanout + 1):
                town = f"{county}{t:03d}"
                codes[town.ljust(12, "0")] = f"第{c}-{k}-{t}镇"
                for v in range(1, fanout + 1):
                    village = f"{town}{v:03d}"
                    codes[village] = f"第{c}-{k}-{t}-{v}村"
                    codes[village + "001"] = f"第{c}-{k}-{t}-{v}村一屯"
    areas = [build_area(code, name) for code, name in codes.items()]
    Area.objects.insert(areas, load_bulk=False)
    return areas


def id_number(seed: int | None = None, birth: str = "19800101") -> str:
    rnd = random.Random(seed if seed is not None else next(_seq))
    first17 = "371525" + birth + f"{rnd.randrange(1000):03d}"
    return first17 + check_digit(first17)


def make_user(role: str, *area_codes: str, username: str | None = None, password: str = PASSWORD):
    return create_user(
        SYSTEM,
        username=username or f"{role}{next(_seq)}",
        password=password,
        role=role,
        area_codes=list(area_codes),
        display_name=f"测试{role}",
    )


def token_for(client, user, password: str = PASSWORD) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": user.username, "password": password})
    assert resp.status_code == 200, resp.json
    return {"Authorization": f"Bearer {resp.json['access_token']}"}


class HouseholdFactory(factory.mongoengine.MongoEngineFactory):
    class Meta:
        model = Household

    number = factory.Sequence(lambda n: f"HH{n:06d}")
    village_code = "370101001001"
    area_path = factory.LazyAttribute(lambda o: build_area(o.village_code, "x").path)
    head_name = factory.Sequence(lambda n: f"户主{n}")
    id_number = factory.Sequence(lambda n: id_number(n))
    phone = "13812345678"
    lat = 36.45
    lon = 115.45
    category = "with_labour"
    created_at = factory.LazyFunction(now)
    updated_at = factory.LazyFunction(now)
