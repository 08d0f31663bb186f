"""The console in a real browser: Debian's chromium driven by Playwright, against the app served over
HTTP by werkzeug in a thread, on the real embedded servers. Screenshots go to var/screenshots/."""

from __future__ import annotations

import re
import shutil
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from werkzeug.serving import make_server

from app.rectification.service import create_item
from app.users.service import principal_for
from tests.console_support import REUSED_SLOT, VILLAGE, reuse_case
from tests.factories import PASSWORD, HouseholdFactory, area_tree, make_user, token_for
from tests.stored_visits import T0, assessment, build_visit

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def live_url(web_app):
    server = make_server("127.0.0.1", 0, web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(app, browser, live_url):
    """A fresh browser context per test (no cookies); fails the test on any console error, which is
    where the browser reports a Content-Security-Policy violation or a script error."""
    context = browser.new_context(base_url=live_url, locale="zh-CN", viewport={"width": 1440, "height": 1000})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda err: errors.append(str(err)))
    yield tab
    context.close()
    # a form refused with 422 (and a missing favicon's 404) is a page's answer, not a script error
    assert [e for e in errors if not re.search(r"status of (404|422)\b", e)] == []


def login(page: Page, user, password: str = PASSWORD) -> None:
    page.goto("/console/login")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("header .who")).to_contain_text(user.display_name)


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def images_loaded(locator) -> bool:
    return locator.evaluate_all(
        "imgs => imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0)"
    )


def test_verifier_sees_reused_photo_and_requests_revisit(page, client, store):
    case = reuse_case(store)
    login(page, case["verifier"])
    expect(page).to_have_url(f"{page.url.split('/console')[0]}/console/queue")
    shoot(page, "queue")
    page.get_by_role("link", name=case["visit"].household_number).click()

    card = page.locator(f'article.slot[data-slot="{REUSED_SLOT}"]')
    expect(card).to_have_class("slot photo failed")
    match = card.locator("figure.match")
    expect(match).to_have_attribute("data-match-visit", str(case["original"].id))
    expect(match).to_contain_text(case["original_household"].head_name)
    expect(card.locator('li[data-check="photo_reuse"]')).to_be_visible()
    card.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    assert images_loaded(card.locator("img"))  # this household's photo and the other household's
    assert images_loaded(page.locator("article.slot img"))  # all eight thumbnails stream through /media
    shoot(page, "visit")

    match.locator("a.zoom").click()  # the large preview of the matched photo
    expect(page.locator("dialog#preview img")).to_be_visible()
    page.keyboard.press("Escape")

    comment = "房前照片与李原户的照片相同，请重新入户拍摄"
    card.locator("textarea").fill(comment)
    page.locator("#comment").fill("请重新入户核查")
    page.get_by_role("button", name="要求重新走访").click()
    expect(page.locator(".flash-info")).to_contain_text("要求重新走访")

    api = client.get(f"/api/v1/visits/{case['visit'].id}", headers=token_for(client, case["verifier"])).json
    assert api["state"] == "revisit_requested"
    assert api["review"]["slot_comments"] == {REUSED_SLOT: comment}
    assert api["review"]["comment"] == "请重新入户核查"


def _county_with_visits(store):
    area_tree(fanout=2)
    supervisor = make_user("supervisor", "370101000000")
    cadre = make_user("cadre", VILLAGE)
    reviewer = make_user("verifier", "370101001000")
    states = ["approved", "approved", "checked", "has_issues", "rejected", "revisit_requested"]
    for i, state in enumerate(states):
        village = ["370101001001", "370101001002", "370101002001"][i % 3]
        home = HouseholdFactory(village_code=village)
        failed = {"food_clothing"} if i % 2 else set()
        build_visit(home, cadre, state=state, reviewer=reviewer, assessed=assessment(failed))
    for village in ("370101001001", "370101002002"):
        HouseholdFactory(village_code=village)  # not visited yet
    return supervisor


def test_supervisor_report_shows_the_api_figures(page, client, store):
    supervisor = _county_with_visits(store)
    login(page, supervisor)
    expect(page).to_have_url(f"{page.url.split('/console')[0]}/console/report")
    api = client.get("/api/v1/reports/verification", headers=token_for(client, supervisor)).json
    assert len(api["rows"]) == 2
    shown = 0
    for row in [*api["rows"], api["total"]]:
        for column in api["columns"]:
            value = row
            for part in column["key"].split("."):
                value = value[part]
            if column["kind"] == "percent":
                expected = "—" if value is None else f"{value:.1f}%"
            else:
                expected = str(value)
            cell = page.locator(f'#report-table tr[data-code="{row["code"]}"] td[data-key="{column["key"]}"]')
            if row is api["total"]:
                cell = page.locator(f'#report-table tr.total td[data-key="{column["key"]}"]')
            expect(cell).to_have_text(expected)
            shown += 1
    assert shown == 3 * len(api["columns"])
    expect(page.locator("figure.chart g.chart-row")).to_have_count(2)
    shoot(page, "report")

    # drill down: county → town → village → household → visit
    page.locator('#report-table tr[data-code="370101001000"] td[data-key="name"] a').click()
    page.locator('#report-table tr[data-code="370101001001"] td[data-key="name"] a').click()
    expect(page.locator("h1")).to_contain_text("第1-1-1-1村")
    page.locator("table.list tbody tr td a").first.click()
    expect(page.locator("h2").first).to_have_text("走访")
    page.locator("table.list tbody tr td a").first.click()
    expect(page.locator("section.evidence h2")).to_have_text("四处照相 · 四方签字")


def test_cadre_cannot_open_another_villages_visit(page, store):
    area_tree(fanout=2)
    cadre = make_user("cadre", VILLAGE)
    other_cadre = make_user("cadre", "370101001002")
    own = build_visit(HouseholdFactory(village_code=VILLAGE, helper_id=str(cadre.id)), cadre, state="checked")
    other = build_visit(HouseholdFactory(village_code="370101001002"), other_cadre, state="checked")
    login(page, cadre)
    expect(page.locator("table.list tbody tr")).to_have_count(1)  # my households
    shoot(page, "cadre_households")
    assert page.goto(f"/console/visits/{own.id}").status == 200
    response = page.goto(f"/console/visits/{other.id}")
    assert response.status == 404
    expect(page.locator("h1")).to_contain_text("未找到")
    assert page.goto(f"/console/households/{other.household_id}").status == 404


def test_script_in_a_household_name_stays_text(page, store):
    area_tree(fanout=2)
    verifier = make_user("verifier", "370101001000")
    cadre = make_user("cadre", VILLAGE)
    name = "<script>alert(1)</script>"
    visit = build_visit(HouseholdFactory(village_code=VILLAGE, head_name=name), cadre, state="checked")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, verifier)
    expect(page.locator("table.queue tbody")).to_contain_text(name)
    page.goto(f"/console/visits/{visit.id}")
    expect(page.locator("h1 a")).to_have_text(name)
    assert page.locator("script").count() == 1  # console.js, nothing from the name
    assert dialogs == []


def test_form_posts_without_the_csrf_token_are_refused(page):
    case = reuse_case()
    login(page, case["verifier"])
    visit_id = str(case["visit"].id)
    post = page.request.post(
        f"/console/visits/{visit_id}/decision",
        form={"decision": "request_revisit", "comment": "x"},
    )
    assert post.status == 400
    forged = page.request.post(
        f"/console/visits/{visit_id}/decision",
        form={"decision": "request_revisit", "comment": "x", "csrf_token": "forged"},
    )
    assert forged.status == 400
    bulk = page.request.post("/console/queue/approve", form={"visit_id": visit_id})
    assert bulk.status == 400
    case["visit"].reload()
    assert case["visit"].state == "has_issues"


def test_keyboard_review_and_bulk_approval(page):
    area_tree(fanout=2)
    verifier, cadre = make_user("verifier", "370101001000"), make_user("cadre", VILLAGE)
    first, second, third, fourth = (
        build_visit(HouseholdFactory(village_code=VILLAGE), cadre, state="checked", submitted_at=at)
        for at in (T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2), T0 + timedelta(minutes=3))
    )
    login(page, verifier)
    page.get_by_role("link", name=first.household_number).click()
    for key, landing in (("j", second), ("k", first), ("a", second)):  # a: approve, then the next one
        expect(page).to_have_url(re.compile("/console/visits/"))
        page.wait_for_load_state()  # console.js runs once the page has loaded
        page.keyboard.press(key)
        expect(page).to_have_url(re.compile(f"/console/visits/{landing.id}"))
    assert first.reload().state == "in_review"  # the town signed; the county is next

    page.goto("/console/queue")
    page.locator("#select-passed").check()
    expect(page.locator("input.passed:checked")).to_have_count(3)
    page.locator("#bulk-approve").click()
    expect(page.locator(".flash-info")).to_contain_text("已通过 3 条走访")
    assert [v.reload().state for v in (second, third, fourth)] == ["in_review"] * 3


def test_verifier_follows_up_and_closes_a_ledger_item(page):
    case = reuse_case()
    item = create_item(
        principal_for(case["verifier"]),
        {"household_id": str(case["household"].id), "problem": "饮水安全待核实"},
    )
    login(page, case["verifier"])
    page.goto("/console/rectifications")
    page.get_by_role("link", name="饮水安全待核实").click()
    page.get_by_label("整改措施").fill("接通自来水")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".flash-info")).to_contain_text("已保存")
    page.get_by_label("销号说明").fill("已通水")
    page.get_by_role("button", name="销号").click()
    expect(page.locator(".flash-error")).to_contain_text("佐证")  # no evidence yet: refused, item open
    page.get_by_role("button", name="添加佐证").click()
    expect(page.locator("#evidence")).to_contain_text("复查走访")
    page.get_by_label("销号说明").fill("已通水")
    page.get_by_role("button", name="销号").click()
    expect(page.locator(".flash-info")).to_contain_text("已销号")
    item.reload()
    assert item.status == "closed" and item.measure == "接通自来水" and len(item.evidence) == 1
