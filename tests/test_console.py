"""The console without a browser: session cookie, CSRF, headers, login audit and lock-out, scoping,
decisions, bulk approval, keyset paging of the queue, the ledger's order, and the page builders."""

from __future__ import annotations

import re
from datetime import timedelta

from app.audit.models import AuditEvent
from app.clock import now
from app.console.pages import answer_rows
from app.console.plot import location_plot
from app.forms.registry import load_registry
from app.rectification.models import RectificationItem
from app.rectification.service import create_item
from app.review.matches import matches_for
from app.review.queue import Cursor, QueueFilter, queue_counts, queue_page
from app.users.models import User
from app.users.service import principal_for
from tests.console_support import (
    OTHER_TOWN_VILLAGE,
    REUSED_SLOT,
    TOWN,
    VILLAGE,
    console_login,
    csrf_of,
    reuse_case,
)
from tests.factories import PASSWORD, HouseholdFactory, area_tree, make_user
from tests.stored_visits import T0, build_visit


def test_session_cookie_and_headers(web):
    case = reuse_case()
    console_login(web, case["verifier"])
    cookie = web.get_cookie("doorstep_console", path="/console")
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure and cookie.path == "/console"
    page = web.get(f"/console/visits/{case['visit'].id}")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script
    assert " style=" not in html  # no inline style (the policy would block it)

    behind_https = web.application.test_client()
    token = csrf_of(behind_https.get("/console/login").get_data(as_text=True))
    behind_https.post(
        "/console/login",
        data={"username": case["verifier"].username, "password": PASSWORD, "csrf_token": token},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert behind_https.get_cookie("doorstep_console", path="/console").secure


def test_login_audit_lockout_logout_and_revocation(web, client, app):
    area_tree(fanout=2)
    user = make_user("verifier", TOWN)
    token = csrf_of(web.get("/console/login").get_data(as_text=True))
    for _ in range(4):
        bad = web.post(
            "/console/login", data={"username": user.username, "password": "wrong", "csrf_token": token}
        )
        assert bad.status_code == 401 and "用户名或密码错误" in bad.get_data(as_text=True)
    locked = web.post(
        "/console/login", data={"username": user.username, "password": "wrong", "csrf_token": token}
    )
    assert locked.status_code == 429
    right = web.post(
        "/console/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
    )
    assert right.status_code == 429  # locked: the right password waits too, as on the API
    failures = AuditEvent.objects(object_id=str(user.id), action="login.failed").order_by("at")
    assert [e.details["reason"] for e in failures] == ["bad_credentials"] * 4 + ["account_locked"] * 2
    assert {e.details["channel"] for e in failures} == {"console"}
    assert (
        client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD}).status_code
        == 429
    )

    app.extensions["login_throttle"].succeeded(user.username, "127.0.0.1")  # the lock's window has passed
    console_login(web, user)
    assert AuditEvent.objects(action="login", object_id=str(user.id)).first().details == {
        "channel": "console"
    }
    assert web.get("/console/queue").status_code == 200
    User.objects(id=user.id).update_one(inc__token_version=1)  # password changed elsewhere: token revoked
    gone = web.get("/console/queue")
    assert gone.status_code == 302 and "/console/login" in gone.headers["Location"]

    console_login(web, user)
    token = csrf_of(web.get("/console/queue").get_data(as_text=True))
    assert web.post("/console/logout", data={"csrf_token": token}).status_code == 302
    assert web.get("/console/queue").status_code == 302
    assert AuditEvent.objects(action="logout", object_id=str(user.id)).count() == 1


def test_expired_session_goes_back_to_login(web, web_app, monkeypatch):
    case = reuse_case()
    console_login(web, case["cadre"])
    monkeypatch.setattr(web_app.config["DOORSTEP"], "TOKEN_TTL_SECONDS", -1)
    resp = web.get("/console/my")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/console/login?next=/console/my")


def test_login_follows_only_console_paths(web_app, app):
    area_tree(fanout=2)
    user = make_user("cadre", VILLAGE)
    for target, expected in (("//evil.example/x", "/console/"), ("/console/sent-back", "/console/sent-back")):
        browser = web_app.test_client()
        token = csrf_of(browser.get("/console/login").get_data(as_text=True))
        resp = browser.post(
            "/console/login",
            data={"username": user.username, "password": PASSWORD, "csrf_token": token, "next": target},
        )
        assert resp.headers["Location"] == expected


def test_decisions_from_the_visit_page(web):
    case = reuse_case()
    token = console_login(web, case["verifier"])
    url = f"/console/visits/{case['visit'].id}/decision"
    refused = web.post(url, data={"decision": "approve", "csrf_token": token})
    assert refused.status_code == 422 and "须说明理由" in refused.get_data(as_text=True)
    unknown = web.post(
        url, data={"decision": "approve", "comment": "ok", "slot_comment.x.y": "?", "csrf_token": token}
    )
    assert unknown.status_code == 422  # a slot the visit does not have
    ok = web.post(
        url,
        data={"decision": "approve", "comment": "原户主翻新后同一房屋，已电话核实", "csrf_token": token},
    )
    assert ok.status_code == 302
    case["visit"].reload()
    # the town has signed; the county signs next (the default chain, town then county)
    assert case["visit"].state == "in_review" and case["visit"].review_level == "county"
    assert case["visit"].review["reviewer"] == case["verifier"].username
    again = web.post(
        url, data={"decision": "reject", "comment": "x", "csrf_token": token}, follow_redirects=True
    )
    assert "该走访已审核" in again.get_data(as_text=True)

    county = web.application.test_client()  # the next level of the chain signs in the same console
    county_token = console_login(county, case["supervisor"])
    page = county.get(f"/console/visits/{case['visit'].id}").get_data(as_text=True)
    assert "审核 · 县级审定" in page and 'id="decision-form"' in page
    assert f"/console/visits/{case['visit'].id}" in county.get("/console/queue").get_data(as_text=True)
    signed = county.post(url, data={"decision": "approve", "csrf_token": county_token})
    assert signed.status_code == 302 and case["visit"].reload().state == "approved"


def test_scoping_answers_404(web):
    case = reuse_case()
    outsider = make_user("verifier", "370101002000")  # the next town
    elsewhere = build_visit(HouseholdFactory(village_code=OTHER_TOWN_VILLAGE), case["cadre"], state="checked")
    token = console_login(web, case["verifier"])
    assert web.get(f"/console/visits/{elsewhere.id}").status_code == 404
    decided = web.post(
        f"/console/visits/{elsewhere.id}/decision",
        data={"decision": "reject", "comment": "x", "csrf_token": token},
    )
    assert decided.status_code == 404
    assert web.get("/console/villages/370101002001").status_code == 404
    assert web.get("/console/report?area=370101002000").status_code == 404

    other = web.application.test_client()
    console_login(other, outsider)
    page = other.get(f"/console/visits/{elsewhere.id}").get_data(as_text=True)
    assert case["original_household"].head_name not in page
    assert other.get(f"/console/visits/{case['visit'].id}").status_code == 404


def test_reuse_match_is_shown_without_naming_a_household_outside_the_callers_areas(app, store):
    case = reuse_case(store, files_of_both=False)
    outsider = make_user("verifier", "370101001000")  # same town: sees both
    cards = matches_for(principal_for(outsider), case["visit"])[REUSED_SLOT]
    assert cards[0].visible and cards[0].head_name == case["original_household"].head_name
    assert cards[0].attachment.slot == REUSED_SLOT

    # the other shape the checks may write: plain visit_id / slot / household_id
    case["visit"].checks[-1]["data"] = {
        "visit_id": str(case["original"].id),
        "slot": "photo.stove",
        "household_id": str(case["original_household"].id),
    }
    # a copied signature inside one visit: its twin is in the same visit
    case["original"].checks.append(
        {"code": "signature_distinct", "passed": False, "severity": "error", "detail": "同一签名",
         "slot": "signature.first_secretary", "data": {"other_slot": "signature.village_secretary"}}
    )  # fmt: skip
    [twin] = matches_for(principal_for(outsider), case["original"])["signature.first_secretary"]
    assert twin.same_visit and twin.attachment.slot == "signature.village_secretary"

    village_cadre = make_user("cadre", VILLAGE)  # cannot see the other village
    [match] = matches_for(principal_for(village_cadre), case["visit"])[REUSED_SLOT]
    assert match.other_slot == "photo.stove" and match.attachment is not None
    assert not match.visible and match.head_name is None and match.household_number is None


def test_bulk_approve_takes_only_passed_visits(web):
    area_tree(fanout=2)
    verifier, cadre = make_user("verifier", TOWN), make_user("cadre", VILLAGE)
    passed = [build_visit(HouseholdFactory(), cadre, state="checked") for _ in range(3)]
    failed = build_visit(
        HouseholdFactory(), cadre, state="has_issues", failed={"photo_time": ["photo.stove"]}
    )
    token = console_login(web, verifier)
    ids = [str(v.id) for v in [*passed, failed]]
    resp = web.post(
        "/console/queue/approve", data={"visit_id": ids, "csrf_token": token}, follow_redirects=True
    )
    html = resp.get_data(as_text=True)
    assert "已通过 3 条走访" in html and str(failed.id) in html
    assert [v.reload().state for v in passed] == ["in_review"] * 3  # on to the county
    assert failed.reload().state == "has_issues"


def test_queue_pages_by_keyset_with_filters_and_counts(app):
    area_tree(fanout=2)
    verifier, cadre = make_user("verifier", TOWN), make_user("cadre", VILLAGE)
    visits = []
    for i in range(23):
        failed = {"photo_reuse": ["photo.stove"]} if i % 4 == 0 else None
        at = T0 + timedelta(minutes=i // 2)  # pairs share a submission time: the id breaks the tie
        visits.append(build_visit(HouseholdFactory(), cadre, state="checked", failed=failed, submitted_at=at))
    principal = principal_for(verifier)
    seen, page = [], queue_page(principal, QueueFilter(), size=5)
    pages = [page]
    while page.next:
        page = queue_page(principal, QueueFilter(), after=page.next, size=5)
        pages.append(page)
        seen_before = queue_page(principal, QueueFilter(), before=page.previous, size=5)
        assert [v.id for v in seen_before.visits] == [v.id for v in pages[-2].visits]
    seen = [v.id for p in pages for v in p.visits]
    expected = sorted(visits, key=lambda v: (v.submitted_at, v.id))
    assert seen == [v.id for v in expected] and len(pages) == 5
    assert Cursor.parse(str(pages[1].next)) == pages[1].next

    issues = queue_page(principal, QueueFilter(failed_check="photo_reuse"), size=50).visits
    assert len(issues) == 6 and all(v.state == "has_issues" for v in issues)
    counts = queue_counts(principal)
    assert counts == {
        "states": {"checked": 17, "has_issues": 6, "in_review": 0, "approved": 0},
        "total": 23,
        "failed_checks": {"photo_reuse": 6},
    }


def test_ledger_lists_overdue_items_first(web):
    case = reuse_case()
    supervisor = case["supervisor"]
    today = now().date()
    rows = [
        (today - timedelta(days=2), "open"),
        (today + timedelta(days=5), "open"),
        (today - timedelta(days=9), "open"),
        (today - timedelta(days=30), "closed"),
        (None, "open"),
    ]
    household = case["household"]
    for i, (deadline, status) in enumerate(rows):
        RectificationItem(
            key=f"manual:{i}",
            area_path=household.area_path,
            household_id=str(household.id),
            household_number=household.number,
            source="manual",
            problem=f"问题{i}",
            deadline=deadline,
            status=status,
            created_by="t",
            created_at=now() + timedelta(seconds=i),
            updated_at=now(),
        ).save()
    console_login(web, supervisor)
    html = web.get("/console/rectifications").get_data(as_text=True)
    order = [int(n) for n in re.findall(r"问题(\d)", html)]
    assert order[:2] == [2, 0]  # overdue, most overdue first
    assert sorted(order[2:]) == [1, 3, 4] and html.count("已逾期") == 2


def test_answers_and_plot_builders(app):
    form = load_registry("forms").get("household_visit", 1)
    rows = answer_rows(
        form.fields, {"record_check": {"record_matches": True}, "talk": {"satisfaction": "satisfied"}}
    )
    assert ("档案信息与实际情况一致", "是") in [(r.label, r.value) for r in rows]
    assert ("对帮扶工作的满意度", "满意") in [(r.label, r.value) for r in rows]

    home = (36.45, 115.45)
    plot = location_plot(home, home, [("房前", 36.4501, 115.4501), ("灶前", 36.60, 115.45)], 500)
    household, visit, near, far = plot.points
    assert (household.x, household.y) == (plot.centre, plot.centre) == (visit.x, visit.y)
    assert not near.outside and near.distance_m < 20
    assert far.outside and far.clipped and far.distance_m > 16_000
    assert abs(far.y - 18) < 0.5  # drawn on the plot's northern edge, not off the picture


def test_ledger_item_followed_up_evidenced_and_closed_in_the_console(web):
    case = reuse_case()
    verifier, household = case["verifier"], case["household"]
    item = create_item(
        principal_for(verifier), {"household_id": str(household.id), "problem": "房屋安全等级待鉴定"}
    )
    token = console_login(web, verifier)
    page = web.get(f"/console/rectifications/{item.id}").get_data(as_text=True)
    assert "房屋安全等级待鉴定" in page and 'id="close-form"' in page and 'id="evidence-form"' in page
    target = f"/console/rectifications/{item.id}"
    deadline = (now().date() + timedelta(days=10)).isoformat()

    saved = web.post(
        target, data={"csrf_token": token, "action": "update", "measure": "危房改造", "deadline": deadline}
    )
    assert saved.status_code == 302
    item.reload()
    assert item.measure == "危房改造" and item.deadline.isoformat() == deadline

    refused = web.post(target, data={"csrf_token": token, "action": "close", "close_note": "已改造"})
    assert refused.status_code == 422 and "佐证" in refused.get_data(as_text=True)
    assert RectificationItem.objects.get(id=item.id).status == "open"

    added = web.post(
        target, data={"csrf_token": token, "action": "evidence", "visit_id": str(case["visit"].id)}
    )
    assert added.status_code == 302
    closed = web.post(target, data={"csrf_token": token, "action": "close", "close_note": "已改造"})
    assert closed.status_code == 302
    item.reload()
    assert (
        item.status == "closed"
        and item.close_note == "已改造"
        and item.evidence[0].visit_id == str(case["visit"].id)
    )
    assert AuditEvent.objects(object_id=str(item.id)).count() >= 2  # evidence and closing are on the record
    after = web.get(target).get_data(as_text=True)
    assert 'id="close-form"' not in after and 'id="follow-up-form"' not in after

    assert web.post(target, data={"action": "update", "measure": "x"}).status_code == 400  # no CSRF token
    outsider = web.application.test_client()
    console_login(outsider, make_user("verifier", OTHER_TOWN_VILLAGE[:9] + "000"))
    assert outsider.get(target).status_code == 404
