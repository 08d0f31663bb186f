"""ODK Collect / KoboCollect over OpenRosa, tested with ODK's own XForms engine.

One Node process (module fixture `filled`) loads every generated XForm in @getodk/xforms-engine, fills
visits as a cadre would and serialises the instances; the tests then submit them as Collect does and run
the real worker. Households get fixed ids so the engine can pick them from the household list before the
per-test database exists.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree.ElementTree import fromstring

import cv2
import numpy as np
import pytest
from bson import ObjectId

from app.forms import validate_answers
from app.openrosa import setup
from app.openrosa.household_list import COLUMNS
from app.openrosa.xform import build_xform, xform_for
from app.users import passwords
from app.visits.models import Attachment, Visit
from devkit.answers import sample_answers
from tests.api_submissions import evidence
from tests.factories import PASSWORD, HouseholdFactory, area_tree, make_user, token_for
from tests.odk_engine import AUDIT_CSV, basic, collect_post, image_file, refs, run_engine

VILLAGE, OTHER_VILLAGE = "370101001001", "370101001002"
HOUSEHOLD_ID, OUTSIDE_ID = "6560a0000000000000000001", "6560a0000000000000000002"
LAT, LON = 36.45, 115.45
NS = {"or": "http://openrosa.org/http/response"}
STARTED = datetime.now(UTC)
PNG = b"\x89PNG"


class _Household:  # what sample_answers and evidence read, before the database exists
    lat, lon, members = LAT, LON, []


def _visit_answers() -> dict:
    import random

    answers = sample_answers(_Household(), random.Random(7), satisfaction="dissatisfied")
    answers["talk"]["needs"] = ["employment", "other"]
    answers["talk"]["needs_other"] = "希望修路"
    answers["education"] = {
        "has_school_age_children": True,
        "children": [
            {"name": "小明", "age": 9, "stage": "primary", "in_school": True, "subsidy_received": True},
            {
                "name": "小红",
                "age": 13,
                "stage": "junior_secondary",
                "in_school": True,
                "subsidy_received": True,
            },
        ],
    }
    answers["housing"] = {"grade": "A"}
    return answers


def _household_csv(household_id: str) -> str:
    return f"name,label,number\n{household_id},HH1 户主1 一屯,HH1\n"


@pytest.fixture(scope="module")
def filled(session_app):
    """Every published form filled in the ODK engine: household_visit (full, and for a household outside
    the cadre's areas) and each other form with its required answers; all in one Node run."""
    forms = session_app.extensions["forms"]
    files = evidence(_Household(), 3, taken_at=STARTED, size=(1600, 1200))
    names = {
        slot: slot.replace(".", "_") + (".png" if body[:4] == PNG else ".jpg") for slot, body in files.items()
    }
    jobs, meta = [], []
    for form in forms.list():
        xform = xform_for(form)
        root = form.form_id
        answers = _visit_answers() if root == "household_visit" else {"overall": "satisfied"}
        for household_id in (HOUSEHOLD_ID, OUTSIDE_ID) if root == "household_visit" else (HOUSEHOLD_ID,):
            values, repeats = refs(root, answers)
            values[f"/{root}/household"] = household_id
            values[f"/{root}/location"] = f"{LAT} {LON} 30 8"
            job_files = {}
            for path, slot in xform.image_fields.items():
                if slot in files:
                    job_files[f"/{root}/{path}"] = image_file(names[slot], files[slot])
            jobs.append(
                {
                    "xform": xform.xml.decode(),
                    "media": {"households.csv": _household_csv(household_id)},
                    "values": values,
                    "repeats": repeats,
                    "files": job_files,
                }
            )
            meta.append((root, household_id, answers))
    results = run_engine(jobs)
    out = {}
    for (root, household_id, answers), result in zip(meta, results, strict=True):
        # ODK Collect names its audit log in meta/audit and sends it as audit.csv; the engine keeps no log
        xml = (result.get("xml") or "").replace("<audit/>", "<audit>audit.csv</audit>")
        # the engine fills start and end a moment apart; a real visit lasts (visit_duration needs 5 min)
        began = (STARTED - timedelta(minutes=30)).isoformat()
        xml = re.sub(r"<start>[^<]*</start>", f"<start>{began}</start>", xml)
        out[(root, household_id)] = {
            **result,
            "xml": xml,
            "answers": answers,
            "files": {names[s]: files[s] for s in files if names[s] in result.get("files", [])},
        }
    return out


@pytest.fixture
def world(app, client):
    area_tree(2)
    cadre = make_user("cadre", VILLAGE)
    household = HouseholdFactory(id=ObjectId(HOUSEHOLD_ID), village_code=VILLAGE, lat=LAT, lon=LON)
    HouseholdFactory(id=ObjectId(OUTSIDE_ID), village_code=OTHER_VILLAGE, lat=LAT, lon=LON)
    return cadre, household, basic(cadre.username, PASSWORD)


def _message(resp) -> str:
    return fromstring(resp.data).find("or:message", NS).text


def _submit(client, headers, filled_form, files=None, url="/openrosa/submission", **kw):
    body = {**filled_form["files"], "audit.csv": AUDIT_CSV} if files is None else files
    return collect_post(client, url, headers, filled_form["xml"], body, **kw)


def test_every_published_form_loads_and_fills_in_the_odk_engine(filled, session_app):
    assert {root for root, _ in filled} == {f.form_id for f in session_app.extensions["forms"].list()}
    for key, result in filled.items():
        assert "error" not in result, (key, result.get("error"))
        assert result["status"] == "ready" and not result["violations"], (key, result["violations"])
        assert "<instanceID>uuid:" in result["xml"]


def test_the_phone_holds_a_repeat_to_its_bounds(session_app):
    """children: min_count 1, max_count 10. The engine sizes the repeat from the count question and refuses
    counts outside the bounds on the phone, before anything is sent."""
    xform = xform_for(session_app.extensions["forms"].get("household_visit"))
    base = "/household_visit/education"
    jobs = [
        {
            "xform": xform.xml.decode(),
            "media": {"households.csv": _household_csv(HOUSEHOLD_ID)},
            "values": {f"{base}/has_school_age_children": "true", f"{base}/education_children_count": n},
        }
        for n in ("0", "3", "11")
    ]
    none, three, eleven = run_engine(jobs)

    def on_count(result):
        return [v for v in result["violations"] if "education_children_count" in (v["reference"] or "")]

    assert three["xml"].count("<children>") == 3 and not on_count(three)
    assert on_count(none) and on_count(eleven)
    assert eleven["xml"].count("<children>") == 11  # the phone shows them, and will not send until fixed


def test_collect_submission_ends_checked_with_the_json_answers(
    filled, world, client, run_worker, session_app
):
    cadre, _household, headers = world
    form = filled[("household_visit", HOUSEHOLD_ID)]
    head = client.head("/openrosa/submission", headers=headers)
    assert head.status_code == 204 and head.headers["X-OpenRosa-Version"] == "1.0"
    assert int(head.headers["X-OpenRosa-Accept-Content-Length"]) >= 10 * 1024 * 1024
    resp = _submit(client, headers, form)
    assert resp.status_code == 201, resp.data
    assert resp.headers["X-OpenRosa-Version"] == "1.0" and "submitted" in _message(resp)
    run_worker()
    visit = Visit.objects.get()
    api = client.get(f"/api/v1/visits/{visit.id}", headers=token_for(client, cadre)).json
    assert api["state"] == "checked", api["checks"]
    definition = session_app.extensions["forms"].get("household_visit", 1)
    assert api["answers"] == validate_answers(definition, form["answers"])
    assert api["household_id"] == HOUSEHOLD_ID and api["location"]["accuracy_m"] == 8
    assert all(a["present"] for a in api["attachments"] if a["required"])
    assert visit.origin["source"] == "openrosa" and visit.origin["device_id"].startswith("collect:")
    assert visit.device_audit["size"] == len(AUDIT_CSV)
    assert session_app.extensions["store"].get(visit.device_audit["key"]) == AUDIT_CSV


def test_other_forms_submit_too(filled, world, client, run_worker):
    _cadre, _, headers = world
    form = filled[("satisfaction_survey", HOUSEHOLD_ID)]
    assert _submit(client, headers, form).status_code == 201
    run_worker()
    visit = Visit.objects.get()
    assert visit.form_id == "satisfaction_survey" and visit.state in ("checked", "has_issues")
    assert visit.answers == {"overall": "satisfied"}


def test_split_submission_then_repeat_adds_files_to_one_visit(filled, world, client, run_worker):
    _, _, headers = world
    form = filled[("household_visit", HOUSEHOLD_ID)]
    names = sorted(form["files"])
    photos = {n: form["files"][n] for n in names if n.startswith("photo")}
    rest = {n: form["files"][n] for n in names if not n.startswith("photo")} | {"audit.csv": AUDIT_CSV}
    first = _submit(client, headers, form, files=photos, incomplete=True)
    assert first.status_code == 201 and "still to come" in _message(first)
    assert Visit.objects.get().state == "receiving"
    second = _submit(client, headers, form, files=rest)
    assert second.status_code == 201 and "still to come" not in _message(second)
    again = _submit(client, headers, form)
    assert again.status_code == 201 and "nothing changed" in _message(again)
    assert Visit.objects.count() == 1 and Attachment.objects.count() == 8
    run_worker()
    assert Visit.objects.get().state == "checked"


def test_different_xml_under_the_same_instance_id_is_409(filled, world, client):
    _, _, headers = world
    form = filled[("household_visit", HOUSEHOLD_ID)]
    assert _submit(client, headers, form).status_code == 201
    changed = {**form, "xml": form["xml"].replace("<grade>A</grade>", "<grade>B</grade>")}
    resp = _submit(client, headers, changed)
    assert resp.status_code == 409 and "instance_id" in _message(resp)
    assert Visit.objects.count() == 1 and Visit.objects.get().answers["housing"]["grade"] == "A"


def _edited(form: dict, grade: str) -> dict:
    old = re.search(r"<instanceID>(uuid:[^<]+)</instanceID>", form["xml"])[1]
    new = "uuid:00000000-0000-4000-8000-0000000000e1"
    xml = form["xml"].replace("<grade>A</grade>", f"<grade>{grade}</grade>")
    xml = xml.replace(
        f"<instanceID>{old}</instanceID>", f"<instanceID>{new}</instanceID><deprecatedID>{old}</deprecatedID>"
    )
    return {**form, "xml": xml}


def test_edited_instance_replaces_an_undecided_visit(filled, world, client, run_worker):
    cadre, _, headers = world
    form = filled[("household_visit", HOUSEHOLD_ID)]
    assert _submit(client, headers, form).status_code == 201
    run_worker()
    original = Visit.objects.get()
    resp = _submit(client, headers, _edited(form, "B"))
    assert resp.status_code == 201, resp.data
    assert _submit(client, headers, _edited(form, "B")).status_code == 201  # a retry of the edit
    edit = Visit.objects(id__ne=original.id).get()
    original.reload()
    assert original.state == "superseded" and original.superseded_by == str(edit.id)
    assert edit.origin["supersedes"] == str(original.id) and edit.answers["housing"]["grade"] == "B"
    run_worker()
    queue = client.get("/api/v1/review/queue", headers=token_for(client, make_user("verifier", VILLAGE)))
    assert [v["id"] for v in queue.json] == [str(edit.id)]
    history = client.get(f"/api/v1/visits/{original.id}/history", headers=token_for(client, cadre)).json
    assert history["state"] == "superseded" and history["changes"][-1]["state"] == "superseded"


def test_editing_a_decided_visit_is_refused(filled, world, client):
    _, _, headers = world
    form = filled[("household_visit", HOUSEHOLD_ID)]
    assert _submit(client, headers, form).status_code == 201
    Visit.objects.update(set__state="approved")
    resp = _submit(client, headers, _edited(form, "B"))
    assert resp.status_code == 409 and "already decided" in _message(resp)
    assert Visit.objects.count() == 1 and Visit.objects.get().state == "approved"


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;">]>
<household_visit id="household_visit" version="1-x">
<meta><instanceID>&lol2;</instanceID></meta></household_visit>"""


@pytest.mark.parametrize(
    ("xml", "status", "words"),
    [
        (b"<household_visit", 400, "Not valid XML"),
        (BILLION_LAUGHS, 400, "Not valid XML"),
        (b"<a>" * 40 + b"</a>" * 40, 400, "too deep"),
        (
            b'<nope id="nope" version="1-x"><meta><instanceID>uuid:1</instanceID></meta></nope>',
            422,
            "Unknown form",
        ),
        (b'<household_visit id="household_visit" version="9-x"/>', 422, "Unknown form"),
    ],
)
def test_bad_xml_gets_a_clear_openrosa_error(world, client, xml, status, words):
    _, _, headers = world
    resp = collect_post(client, "/openrosa/submission", headers, xml, {})
    assert resp.status_code == status and words in _message(resp), resp.data
    assert resp.headers["X-OpenRosa-Version"] == "1.0" and Visit.objects.count() == 0


def test_household_outside_the_cadres_areas_is_refused(filled, world, client):
    _, _, headers = world
    resp = _submit(client, headers, filled[("household_visit", OUTSIDE_ID)])
    assert resp.status_code == 404 and Visit.objects.count() == 0


def test_non_image_attachment_refused_before_anything_is_written(filled, world, client, store):
    _, _, headers = world
    form = filled[("household_visit", HOUSEHOLD_ID)]
    files = dict(form["files"])
    files[sorted(files)[0]] = b"%PDF-1.4 not an image"
    resp = _submit(client, headers, form, files=files)
    assert resp.status_code == 415 and "Not a JPEG or PNG" in _message(resp)
    assert Visit.objects.count() == 0 and Attachment.objects.count() == 0
    assert _submit(client, headers, form).status_code == 201  # the phone's retry with the real files


def test_missing_xml_part_and_missing_household(filled, world, client):
    _, _, headers = world
    resp = client.post("/openrosa/submission", data={"x.jpg": (io.BytesIO(b"x"), "x.jpg")}, headers=headers)
    assert resp.status_code == 400 and "xml_submission_file" in _message(resp)
    form = filled[("household_visit", HOUSEHOLD_ID)]
    xml = re.sub(r"<household>[^<]*</household>", "<household/>", form["xml"])
    resp = collect_post(client, "/openrosa/submission", headers, xml, {})
    assert resp.status_code == 422 and "household_id" in _message(resp)


def test_basic_auth_challenge_lockout_and_cache(world, client, app, monkeypatch):
    cadre, _, headers = world
    resp = client.get("/openrosa/formList")
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Basic")
    assert resp.headers["X-OpenRosa-Version"] == "1.0"
    calls = []
    real = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda h, p: calls.append(1) or real(h, p))
    assert client.get("/openrosa/formList", headers=headers).status_code == 200
    assert client.get("/openrosa/formList", headers=headers).status_code == 200
    assert len(calls) == 1  # the second request reused the verified credentials
    wrong = basic(cadre.username, "wrong-password")
    codes = [client.get("/openrosa/formList", headers=wrong).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 401, 429]
    assert client.get("/openrosa/formList", headers=headers).status_code == 429  # locked, cache or not
    login = client.post("/api/v1/auth/token", json={"username": cadre.username, "password": PASSWORD})
    assert login.status_code == 429  # the same lock-out as the JSON login


def test_password_change_ends_cached_basic_credentials(world, client):
    cadre, _, headers = world
    assert client.get("/openrosa/formList", headers=headers).status_code == 200
    admin = make_user("admin", "370000000000")
    resp = client.patch(
        f"/api/v1/users/{cadre.id}", json={"password": "another-pass-2"}, headers=token_for(client, admin)
    )
    assert resp.status_code == 200
    assert client.get("/openrosa/formList", headers=headers).status_code == 401
    assert (
        client.get("/openrosa/formList", headers=basic(cadre.username, "another-pass-2")).status_code == 200
    )


def test_form_list_manifest_and_household_list(world, client, app):
    _cadre, household, headers = world
    listing = fromstring(client.get("/openrosa/formList", headers=headers).data)
    ns = {"x": "http://openrosa.org/xforms/xformsList"}
    items = {x.find("x:formID", ns).text: x for x in listing.findall("x:xform", ns)}
    assert set(items) == {"household_visit", "satisfaction_survey"}
    item = items["household_visit"]
    download = client.get(item.find("x:downloadUrl", ns).text, headers=headers)
    import hashlib

    assert item.find("x:hash", ns).text == "md5:" + hashlib.md5(download.data).hexdigest()
    assert (
        item.find("x:version", ns).text
        == build_xform(app.extensions["forms"].get("household_visit")).version_string
    )
    manifest = fromstring(client.get(item.find("x:manifestUrl", ns).text, headers=headers).data)
    mns = {"m": "http://openrosa.org/xforms/xformsManifest"}
    media = manifest.find("m:mediaFile", mns)
    assert media.find("m:filename", mns).text == "households.csv"
    body = client.get(media.find("m:downloadUrl", mns).text, headers=headers).data
    assert media.find("m:hash", mns).text == "md5:" + hashlib.md5(body).hexdigest()
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert tuple(rows[0]) == COLUMNS and [r["name"] for r in rows] == [HOUSEHOLD_ID]  # not the other village
    assert household.number in rows[0]["label"] and household.head_name in rows[0]["label"]
    HouseholdFactory(village_code=VILLAGE)
    manifest = fromstring(client.get(item.find("x:manifestUrl", ns).text, headers=headers).data)
    assert manifest.find("m:mediaFile/m:hash", mns).text != media.find("m:hash", mns).text
    verifier = basic(make_user("verifier", VILLAGE).username, PASSWORD)
    assert fromstring(client.get("/openrosa/formList", headers=verifier).data).findall("x:xform", ns) == []


def test_app_tokens_in_the_url_and_revocation(filled, world, client):
    cadre, _, _ = world
    supervisor = token_for(client, make_user("supervisor", "370101000000"))
    resp = client.post(
        f"/api/v1/users/{cadre.id}/app-tokens", json={"label": "张三的手机"}, headers=supervisor
    )
    assert resp.status_code == 201, resp.json
    token, url = resp.json["token"], resp.json["server_url"]
    assert url.endswith(f"/openrosa/key/{token}") and resp.json["qr_png"].startswith("data:image/png;base64,")
    listing = client.get(f"/openrosa/key/{token}/formList")
    assert (
        listing.status_code == 200
        and f"/openrosa/key/{token}/forms/household_visit.xml" in listing.data.decode()
    )
    assert (
        _submit(
            client, {}, filled[("household_visit", HOUSEHOLD_ID)], url=f"/openrosa/key/{token}/submission"
        ).status_code
        == 201
    )
    tokens = client.get(f"/api/v1/users/{cadre.id}/app-tokens", headers=supervisor).json
    assert [t["label"] for t in tokens] == ["张三的手机"] and "token" not in tokens[0]
    revoked = client.delete(f"/api/v1/users/{cadre.id}/app-tokens/{tokens[0]['id']}", headers=supervisor)
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    assert client.get(f"/openrosa/key/{token}/formList").status_code == 401
    own = token_for(client, cadre)
    assert client.post(f"/api/v1/users/{cadre.id}/app-tokens", json={}, headers=own).status_code == 403


def test_collect_qr_code(world, client):
    cadre, _, _ = world
    supervisor = token_for(client, make_user("supervisor", "370101000000"))
    resp = client.get(f"/api/v1/users/{cadre.id}/collect-qr.png", headers=supervisor)
    assert resp.status_code == 200 and resp.mimetype == "image/png" and resp.data[:4] == b"\x89PNG"
    other = token_for(client, make_user("supervisor", "370102000000"))
    assert client.get(f"/api/v1/users/{cadre.id}/collect-qr.png", headers=other).status_code == 404
    # read back from the image itself, as a phone's camera would (OpenCV's QR detector, not our encoder)
    pixels = cv2.imdecode(np.frombuffer(resp.data, np.uint8), cv2.IMREAD_GRAYSCALE)
    # the Aruco-based detector: the plain one misread 12 of 200 such payloads (0 of 200 for this one)
    text, _, _ = cv2.QRCodeDetectorAruco().detectAndDecode(pixels)
    settings = setup.read_payload(text)
    assert settings["general"]["server_url"] == "http://localhost/openrosa"
    assert settings["general"]["username"] == cadre.username and "password" not in settings["general"]
    assert settings["admin"]["change_server"] is False


def test_openapi_still_builds_and_leaves_openrosa_out(client):
    spec = client.get("/openapi.json")
    assert spec.status_code == 200
    assert not [p for p in spec.json["paths"] if p.startswith("/openrosa")]
    assert "/api/v1/users/{user_id}/app-tokens" in spec.json["paths"]


def test_xform_version_follows_the_generated_xml(session_app):
    from app.forms import parse_form
    from app.forms.loader import parse_yaml

    source = Path(session_app.config["DOORSTEP"].FORMS_DIR) / "satisfaction_survey" / "v1.yaml"
    definition = parse_yaml(source.read_text("utf-8"))
    first = build_xform(parse_form(definition))
    assert build_xform(parse_form(definition)).version_string == first.version_string  # stable
    definition["fields"][0]["label"]["zh"] = "您对帮扶工作满意吗？"
    changed = build_xform(parse_form(definition))
    assert changed.version_string != first.version_string and changed.version_string.startswith("1-")
    assert f'version="{changed.version_string}"' in changed.xml.decode()


def test_relevance_inside_a_repeat_points_at_the_same_item(session_app):
    xml = xform_for(session_app.extensions["forms"].get("household_visit")).xml.decode()
    assert 'nodeset="/household_visit/education/children/dropout_reason"' in xml
    bind = re.search(r'<bind nodeset="/household_visit/education/children/dropout_reason"[^>]*>', xml)[0]
    assert "relevant=\"../in_school = 'false'\"" in bind
    needs = re.search(r'<bind nodeset="/household_visit/talk/needs_other"[^>]*>', xml)[0]
    assert "selected(/household_visit/talk/needs, 'other')" in needs
