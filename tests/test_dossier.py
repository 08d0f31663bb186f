"""一户一档: the dossier PDF opens, shows the photos and signatures, and says it all in Chinese."""

from __future__ import annotations

import io
from datetime import date
from urllib.parse import unquote

import pytest
from pypdf import PdfReader

from app.audit.models import AuditEvent
from app.dossier import fonts
from app.dossier.fonts import EMBEDDED_NAME, chinese_font
from app.households.idnumbers import mask_id
from app.households.models import Member
from tests.factories import HouseholdFactory, area_tree, id_number, make_user, token_for
from tests.stored_visits import assessment, attach_files, build_visit

VILLAGE = "370101001001"


@pytest.fixture
def world(app, client):
    area_tree(2)
    users = {
        "cadre": make_user("cadre", VILLAGE),
        "verifier": make_user("verifier", "370101001000"),
        "supervisor": make_user("supervisor", "370101000000"),
        "far_supervisor": make_user("supervisor", "370102000000"),
    }
    headers = {name: token_for(client, user) for name, user in users.items()}
    household = HouseholdFactory(
        village_code=VILLAGE,
        head_name="张建国",
        id_number=id_number(11),
        address="第一村民小组12号",
        helper_name="李帮扶",
        members=[
            Member(name="张建国", relation="户主", id_number=id_number(11), birth_date=date(1965, 3, 2)),
            Member(name="王秀英", relation="配偶", id_number=id_number(12), health="长期慢性病"),
        ],
    )
    return users, headers, household


def fetch(client, headers, household) -> PdfReader:
    resp = client.get(f"/api/v1/households/{household.id}/dossier.pdf", headers=headers)
    assert resp.status_code == 200, resp.data[:300]
    assert resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF-")
    name = unquote(resp.headers["Content-Disposition"].split("filename*=UTF-8''")[1])
    assert name == f"一户一档_{household.number}_{household.head_name}.pdf"
    return PdfReader(io.BytesIO(resp.data))


def images(reader: PdfReader) -> list[tuple[int, int]]:
    """(width, height) of every image XObject drawn on the pages."""
    found = []
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject") or {}
        for ref in xobjects.values():
            obj = ref.get_object()
            if obj["/Subtype"] == "/Image":
                found.append((int(obj["/Width"]), int(obj["/Height"])))
    return found


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def embedded_fonts(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        for ref in (page["/Resources"].get("/Font") or {}).values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                names.add(str(font["/BaseFont"]))
    return names


def test_dossier_of_an_approved_visit_has_photos_signatures_and_chinese_text(world, client, store):
    users, headers, household = world
    build_visit(
        household, users["cadre"], state="rejected", reviewer=users["verifier"], comment="灶前照片模糊"
    )
    build_visit(
        household,
        users["cadre"],
        state="approved",
        reviewer=users["verifier"],
        comment="四处照相、四方签字齐全",
        assessed=assessment({"housing_safety"}, income=5210.5, satisfaction="basically_satisfied"),
        store=store,
    )
    reader = fetch(client, headers["supervisor"], household)
    drawn = images(reader)
    assert len(drawn) >= 8
    # photos come from the 1024 px review thumbnails (originals are 1600 × 1200), signatures as stored
    assert drawn.count((1024, 768)) == 4 and drawn.count((600, 240)) == 4
    text = text_of(reader)
    for expected in (
        "一户一档",
        household.number,
        "张建国",
        "王秀英",
        household.id_number,  # a supervisor may see ID numbers
        "第一村民小组12号",
        "房前",
        "灶前",
        "主卧",
        "厅堂",
        "贫困户",
        "村支书",
        "第一书记",
        "乡镇干部",
        "住房安全有保障",
        "未达标",
        "5,210 元",
        "基本满意",
        "审核通过",
        "四处照相、四方签字齐全",
        "灶前照片模糊",  # the earlier, rejected visit in the visit list
        users["supervisor"].username,
    ):
        assert expected in text, expected
    assert "尚未审核通过" not in text
    assert chinese_font().embedded and any(EMBEDDED_NAME in name for name in embedded_fonts(reader))
    (event,) = AuditEvent.objects(action="household.dossier")
    assert event.object_id == str(household.id) and event.actor == users["supervisor"].username
    assert event.details["visit_approved"] is True


def test_id_numbers_are_masked_for_roles_that_may_not_see_them(world, client, store):
    users, headers, household = world
    build_visit(household, users["cadre"], state="approved", store=store)
    text = text_of(fetch(client, headers["verifier"], household))
    assert household.id_number not in text and household.members[1].id_number not in text
    assert mask_id(household.id_number) in text and mask_id(household.members[1].id_number) in text


def test_a_visit_not_yet_approved_is_shown_and_marked(world, client, store):
    users, headers, household = world
    visit = build_visit(household, users["cadre"], failed={"photo_reuse": ["photo.stove"]})
    attach_files(visit, store, slots=["photo.front_of_house", "signature.household_head"])
    reader = fetch(client, headers["cadre"], household)
    text = text_of(reader)
    assert "尚未审核通过" in text and "自动核查有问题" in text and "photo_reuse" in text
    assert "缺失" in text  # the six slots without a file
    assert len(images(reader)) == 2


def test_household_without_visits_and_access(world, client):
    _, headers, household = world
    text = text_of(fetch(client, headers["verifier"], household))
    assert "尚无走访记录" in text and "张建国" in text
    missing = client.get(f"/api/v1/households/{household.id}/dossier.pdf", headers=headers["far_supervisor"])
    assert missing.status_code == 404
    assert client.get("/api/v1/households/nope/dossier.pdf", headers=headers["verifier"]).status_code == 404
    assert client.get(f"/api/v1/households/{household.id}/dossier.pdf").status_code == 401


def test_without_the_font_package_the_cid_font_is_used(world, client, monkeypatch):
    _, headers, household = world

    def no_package(name):
        raise ModuleNotFoundError(name)

    monkeypatch.setattr(fonts, "files", no_package)
    chinese_font.cache_clear()
    try:
        reader = fetch(client, headers["verifier"], household)
        used = {
            str(f.get_object()["/BaseFont"]) for p in reader.pages for f in p["/Resources"]["/Font"].values()
        }
        assert any(name.startswith("/STSong-Light") for name in used) and not embedded_fonts(reader)
        assert "尚无走访记录" in text_of(reader)
    finally:
        chinese_font.cache_clear()


def test_dossier_of_a_form_without_photo_slots(world, client):
    """A satisfaction survey has no photo slots (one signature): the dossier says so instead of failing."""
    users, headers, household = world
    visit = build_visit(household, users["cadre"], state="approved", reviewer=users["verifier"])
    visit.update(form_id="satisfaction_survey", form_version=1, expected_slots=[])
    reader = fetch(client, headers["supervisor"], household)
    text = text_of(reader)
    assert images(reader) == []
    assert "本表单不含照片" in text and "受访户" in text and "缺失" in text
    assert "satisfaction_survey v1" in text
