"""Raw data exports: visits re-imported from CSV and XLSX with the right columns, the photo ZIP and its
manifest, large exports as jobs with progress and expiring links, scoping and permissions."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook

from app.errors import LinkExpired, LinkInvalid
from app.exports import service
from app.exports.links import DownloadLinks
from app.exports.models import ExportJob
from app.exports.visits import CHECK_HEADERS, VISIT_HEADERS
from app.households.models import Member
from app.visits.models import Attachment, Visit
from devkit.answers import sample_answers
from tests.factories import HouseholdFactory, area_tree, make_user, token_for
from tests.stored_visits import build_visit

TOWN, VILLAGE, OTHER_VILLAGE = "370101001000", "370101001001", "370101002001"
QUESTION = "档案信息与实际情况一致"
SATISFACTION = "对帮扶工作的满意度"
CHILDREN = "适龄儿童（每人一项）"


@pytest.fixture
def world(app, client):
    area_tree(2)
    users = {
        "cadre": make_user("cadre", VILLAGE),
        "verifier": make_user("verifier", TOWN),
        "supervisor": make_user("supervisor", "370101000000"),
        "far": make_user("supervisor", "370102000000"),
    }
    return users, {name: token_for(client, user) for name, user in users.items()}


def visits_with_answers(cadre, count: int, village: str = VILLAGE, **kw) -> list[Visit]:
    """Visits whose answers are valid household_visit answers; every other household has two pupils."""
    made = []
    for n in range(count):
        pupils = [Member(name=f"学生{n}-{i}", schooling="在校生") for i in range(2)] if n % 2 else []
        household = HouseholdFactory(village_code=village, members=pupils)
        visit = build_visit(household, cadre, submitted_at=datetime(2026, 11, 2 + n % 5, 1, tzinfo=UTC), **kw)
        answers = sample_answers(household, random.Random(n), satisfaction="satisfied")
        Visit.objects(id=visit.id).update_one(set__answers=answers)
        made.append(visit)
    return made


def test_visits_csv_reimports_with_one_column_per_question(world, client):
    users, headers = world
    visits = visits_with_answers(users["cadre"], 6, failed={"photo_reuse": ["photo.stove"]})
    visits_with_answers(users["cadre"], 2, village=OTHER_VILLAGE)  # another town: filtered by area below
    resp = client.get(
        f"/api/v1/exports/visits?area={VILLAGE}&form_id=household_visit&format=csv",
        headers=headers["verifier"],
    )
    assert resp.status_code == 200, resp.json
    assert (
        resp.headers["Content-Type"].startswith("text/csv")
        and "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    )
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[0] == "行类型" and header[1 : 1 + len(VISIT_HEADERS)] == VISIT_HEADERS
    assert QUESTION in header and SATISFACTION in header and f"{CHILDREN}·姓名" in header
    visit_rows = [r for r in body if r[0] == "走访"]
    oldest_first = sorted(visits, key=lambda v: (v.created_at, v.id))
    assert [r[1] for r in visit_rows] == [str(v.id) for v in oldest_first]
    first = dict(zip(header, visit_rows[[r[1] for r in visit_rows].index(str(visits[0].id))], strict=True))
    assert first[QUESTION] == "是" and first[SATISFACTION] == "满意" and first["村代码"] == VILLAGE
    assert first["未通过核查项"] == "照片重复使用[photo.stove]" and first["状态"] == "自动核查有问题，待审核"
    entries = [dict(zip(header, r, strict=True)) for r in body if r[0] == CHILDREN]
    assert len(entries) == 6  # three households with two pupils each
    first_entry = next(e for e in entries if e["走访ID"] == str(visits[1].id))
    assert (
        first_entry[f"{CHILDREN}·姓名"] == "学生1-0" and first_entry["户编号"] == visits[1].household_number
    )
    assert first_entry[f"{CHILDREN}·在校就读"] == "是" and first_entry[QUESTION] == ""

    only = client.get(
        "/api/v1/exports/visits?state=checked&since=2026-11-03&until=2026-11-04",
        headers=headers["supervisor"],
    )
    assert sum(1 for r in csv.reader(io.StringIO(only.data.decode("utf-8-sig"))) if r[0] == "走访") == 1
    dated = client.get(
        "/api/v1/exports/visits?since=2026-11-03&until=2026-11-04", headers=headers["supervisor"]
    )
    assert sum(1 for r in csv.reader(io.StringIO(dated.data.decode("utf-8-sig"))) if r[0] == "走访") == 3
    assert client.get(f"/api/v1/exports/visits?area={VILLAGE}", headers=headers["far"]).status_code == 404
    assert client.get("/api/v1/exports/visits", headers=headers["cadre"]).status_code == 403
    assert client.get("/api/v1/exports/visits?format=pdf", headers=headers["verifier"]).status_code == 422


def test_visits_xlsx_has_a_sheet_per_table(world, client):
    users, headers = world
    visits = visits_with_answers(users["cadre"], 4, state="approved", reviewer=users["verifier"])
    resp = client.get("/api/v1/exports/visits?format=xlsx", headers=headers["supervisor"])
    assert resp.status_code == 200 and "spreadsheetml" in resp.headers["Content-Type"]
    book = load_workbook(io.BytesIO(resp.data), read_only=True)
    assert book.sheetnames == ["走访", CHILDREN, "核查结果", "说明"]
    main = list(book["走访"].iter_rows(values_only=True))
    # without form_id every published form has its columns, headed by the form's title
    assert list(main[0][: len(VISIT_HEADERS)]) == VISIT_HEADERS and f"入户核查走访表·{QUESTION}" in main[0]
    assert "群众满意度调查·您对扶贫帮扶工作总体是否满意？" in main[0]
    assert [r[0] for r in main[1:]] == [str(v.id) for v in sorted(visits, key=lambda v: (v.created_at, v.id))]
    row = dict(zip(main[0], main[1], strict=False))  # read-only mode drops trailing empty cells
    assert (
        row["审核决定"] == "通过"
        and row["审核人"] == users["verifier"].username
        and row["状态"] == "审核通过"
    )
    assert row["入户核查走访表·家庭人口数"] == 1 and isinstance(
        row["入户核查走访表·家庭年纯收入"], int | float
    )
    children = list(book[CHILDREN].iter_rows(values_only=True))
    assert children[0][:4] == ("走访ID", "户编号", "序号", "姓名") and len(children) == 1 + 4
    checks = list(book["核查结果"].iter_rows(values_only=True))
    assert checks[0] == tuple(CHECK_HEADERS)
    assert len(checks) - 1 == sum(len(v.checks) for v in visits)
    notes = dict(book["说明"].iter_rows(values_only=True))
    assert notes["走访数 Visits"] == "4" and notes["生成人 By"] == users["supervisor"].username


def test_large_export_runs_as_a_job_with_progress_and_an_expiring_link(world, client, run_worker, app):
    users, headers = world
    visits_with_answers(users["cadre"], 3)
    sync = client.get("/api/v1/exports/visits?format=csv", headers=headers["supervisor"]).data
    resp = client.get("/api/v1/exports/visits?format=csv&job=true", headers=headers["supervisor"])
    assert resp.status_code == 202, resp.json
    job = resp.json
    assert job["state"] == "queued" and job["total"] == 3 and job["download_url"] is None
    assert resp.headers["Location"] == job["status_url"]
    status_path = urlsplit(job["status_url"]).path
    assert client.get(status_path, headers=headers["verifier"]).status_code == 404  # not theirs
    run_worker()
    done = client.get(status_path, headers=headers["supervisor"]).json
    assert done["state"] == "done" and done["done"] == 3 and done["percent"] == 100.0
    link = urlsplit(done["download_url"])
    assert link.path == f"/downloads/exports/{job['id']}"
    download = client.get(f"{link.path}?{link.query}")  # the link is the permission: no token
    assert download.status_code == 200 and download.data.decode("utf-8-sig") == sync.decode("utf-8-sig")
    tampered = client.get(f"{link.path}?{link.query.replace('s=', 's=x')}")
    assert tampered.status_code == 403 and tampered.json["errors"]["reason"] == "link_invalid"

    record = ExportJob.objects.get(id=job["id"])
    cfg = app.config["DOORSTEP"]
    again = service.run_job(job["id"], app.extensions["forms"], app.extensions["store"], timedelta(hours=1))
    assert again.finished_at == record.finished_at  # a re-run job leaves a finished export alone
    assert service.purge_expired(app.extensions["store"], at=record.expires_at + timedelta(seconds=1)) == 1
    assert not app.extensions["store"].exists(record.key)
    gone = client.get(f"{link.path}?{link.query}")
    assert gone.status_code == 404 and cfg.EXPORT_KEEP_HOURS == 24


def test_download_links_expire_and_cannot_be_altered():
    clock = [1_000_000.0]
    links = DownloadLinks("secret", 600, clock=lambda: clock[0])
    url, expires = links.url("abc")
    query = dict(part.split("=", 1) for part in urlsplit(url).query.split("&"))
    links.verify("abc", query["e"], query["s"])
    with pytest.raises(LinkInvalid):
        links.verify("abd", query["e"], query["s"])
    with pytest.raises(LinkInvalid):
        links.verify("abc", str(expires + 600), query["s"])
    assert links.url("abc", not_after=clock[0] + 60)[1] == clock[0] + 60  # never past the file's expiry
    clock[0] += 601
    with pytest.raises(LinkExpired):
        links.verify("abc", query["e"], query["s"])


def test_media_zip_streams_every_file_with_a_manifest(world, client, store):
    users, headers = world
    visits = [
        build_visit(HouseholdFactory(village_code=VILLAGE), users["cadre"], store=store) for _ in range(2)
    ]
    build_visit(HouseholdFactory(village_code=OTHER_VILLAGE), users["cadre"], store=store)  # filtered out
    resp = client.get(f"/api/v1/exports/media?area={VILLAGE}", headers=headers["verifier"])
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/zip"
    assert resp.is_streamed
    archive = zipfile.ZipFile(io.BytesIO(resp.data))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names[-1] == "清单.csv" and len(names) == 2 * 8 + 1
    manifest = list(csv.DictReader(io.StringIO(archive.read("清单.csv").decode("utf-8-sig"))))
    assert len(manifest) == 16 and {m["走访ID"] for m in manifest} == {str(v.id) for v in visits}
    for row in manifest:
        attachment = Attachment.objects.get(visit_id=row["走访ID"], slot=row["附件位置"])
        assert row["SHA-256"] == attachment.sha256 and int(row["字节数"]) == attachment.size
        assert archive.read(row["文件"]) == store.get(attachment.key)
        assert row["文件"].startswith(f"{VILLAGE}/{row['户编号']}/{row['走访ID']}/")
    assert client.get("/api/v1/exports/media", headers=headers["cadre"]).status_code == 403
