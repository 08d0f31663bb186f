"""The verification report's outcome figures: 识别准确率 and 退出准确率 from approved verifications, and
overdue ledger items."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from app.clock import now
from app.rectification.models import RectificationItem
from app.visits.models import Visit
from tests.factories import HouseholdFactory, area_tree, make_user, token_for
from tests.stored_visits import assessment, build_visit

COUNTY, TOWN, OTHER_TOWN = "370101000000", "370101001000", "370101002000"
VILLAGE, OTHER_VILLAGE = "370101001001", "370101002001"


def verified(
    cadre,
    reviewer,
    village,
    *,
    record_matches=True,
    failed=(),
    at=None,
    state="approved",
    status="lifted_unsupported",
):
    household = HouseholdFactory(village_code=village, poverty_status=status)
    visit = build_visit(
        household,
        cadre,
        state=state,
        reviewer=reviewer,
        assessed=assessment(failed),
        submitted_at=at or datetime(2026, 11, 2, tzinfo=UTC),
    )
    record = {"record_matches": record_matches, "head_present": True, "member_count_matches": True}
    Visit.objects(id=visit.id).update_one(set__answers={"record_check": record})
    return household


def test_accuracy_rates_from_the_latest_approved_verification(app, client):
    area_tree(3)
    cadre, reviewer = make_user("cadre", VILLAGE), make_user("verifier", TOWN)
    supervisor = token_for(client, make_user("supervisor", COUNTY))
    verified(cadre, reviewer, VILLAGE)  # right on both counts
    verified(cadre, reviewer, VILLAGE, record_matches=False)  # 错评
    verified(cadre, reviewer, VILLAGE, failed={"housing_safety"})  # 错退
    again = verified(cadre, reviewer, VILLAGE, failed={"income"})  # failed first, passed when re-verified
    later = build_visit(
        again, cadre, state="approved", reviewer=reviewer, submitted_at=datetime(2026, 11, 9, tzinfo=UTC)
    )
    Visit.objects(id=later.id).update_one(
        set__answers={"record_check": {"record_matches": True, "member_count_matches": True}}
    )
    verified(cadre, reviewer, VILLAGE, state="checked", failed={"income"})  # not signed off: not counted
    verified(cadre, reviewer, OTHER_VILLAGE, failed={"income"})
    verified(cadre, reviewer, OTHER_VILLAGE, status="poor")  # not reported out of poverty: no exit claim

    report = client.get(f"/api/v1/reports/verification?area={COUNTY}", headers=supervisor).json
    town = next(r for r in report["rows"] if r["code"] == TOWN)
    assert (town["verified"], town["misidentified"], town["exit_verified"], town["wrongly_exited"]) == (
        4,
        1,
        4,
        1,
    )
    assert town["identification_accuracy"] == 75.0 and town["exit_accuracy"] == 75.0
    other = next(r for r in report["rows"] if r["code"] == OTHER_TOWN)
    assert (other["verified"], other["exit_verified"], other["identification_accuracy"]) == (2, 1, 100.0)
    assert other["exit_accuracy"] == 0.0
    assert report["total"]["verified"] == 6 and report["total"]["exit_accuracy"] == 60.0
    empty = next(r for r in report["rows"] if r["code"] not in (TOWN, OTHER_TOWN))
    assert empty["identification_accuracy"] is None and empty["exit_accuracy"] is None

    sheet = client.get(f"/api/v1/reports/verification?area={COUNTY}&format=xlsx", headers=supervisor)
    rows = list(
        load_workbook(io.BytesIO(sheet.data), read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    header = rows[0]
    assert {"整改逾期", "已核定户数", "识别准确率", "退出准确率"} <= set(header)
    total = dict(zip(header, rows[-1], strict=False))
    assert total["退出准确率"] == 60.0 and total["已核定户数"] == 6


def test_overdue_items_are_counted_per_area(app, client):
    area_tree(2)
    supervisor = token_for(client, make_user("supervisor", COUNTY))
    today = now().date()
    for village, deadline, status in [
        (VILLAGE, today - timedelta(days=5), "open"),
        (VILLAGE, today - timedelta(days=5), "closed"),
        (VILLAGE, today + timedelta(days=5), "open"),
        (OTHER_VILLAGE, today - timedelta(days=40), "open"),
    ]:
        household = HouseholdFactory(village_code=village)
        RectificationItem(
            key=f"manual:{household.id}",
            area_path=household.area_path,
            household_id=str(household.id),
            source="manual",
            problem="x",
            deadline=deadline,
            status=status,
            created_by="s",
            created_at=now(),
            updated_at=now(),
        ).save()
    report = client.get(f"/api/v1/reports/verification?area={COUNTY}", headers=supervisor).json
    by_code = {r["code"]: r for r in report["rows"]}
    assert (by_code[TOWN]["problems_overdue"], by_code[TOWN]["problems_open"]) == (1, 2)
    assert by_code[OTHER_TOWN]["problems_overdue"] == 1 and report["total"]["problems_overdue"] == 2
