"""The report counters equal a full recount, whatever happens, and survive a crash half-way.

Random events go through the product's own write paths (household service, visit lifecycle, review,
ledger); the counters are then compared with the aggregation pipelines' independent recount for every
area, and with `reconcile`.
"""

from __future__ import annotations

import random
import threading

import pytest
from bson import ObjectId

from app.areas.models import Area
from app.auth.principal import SYSTEM
from app.clock import CHINA_TZ, now
from app.households import service as households
from app.households.models import Household
from app.households.tally import HOUSEHOLDS
from app.rectification import evidence
from app.rectification import service as ledger
from app.rectification.models import RectificationItem
from app.rectification.tally import ITEMS
from app.reports.counted import KINDS
from app.reports.verification import counters_by_child, recount_by_child, row_figures
from app.review.service import decide
from app.tallies import settle as settle_module
from app.tallies.models import AreaCounter
from app.tallies.reconcile import reconcile
from app.tallies.settle import settle
from app.tallies.sweep import sweep_tallies
from app.users.service import principal_for
from app.visits import lifecycle
from app.visits.models import Visit
from app.visits.tally import VISITS
from tests.factories import area_tree, id_number, make_user
from tests.stored_visits import assessment, build_visit

COUNTY = "370101000000"
VILLAGES = ["370101001001", "370101001002", "370101002001", "370101002002", "370101001001001"]
INDICATORS = ["food_clothing", "compulsory_education", "basic_medical", "housing_safety", "drinking_water"]


@pytest.fixture
def world(app):
    area_tree(2)
    cadre = make_user("cadre", *VILLAGES[:4])
    verifier = principal_for(make_user("verifier", COUNTY))
    county = principal_for(make_user("supervisor", COUNTY))  # the second level of the review chain
    return cadre, (verifier, county)


def assert_counters_equal_recount() -> None:
    year = now().astimezone(CHINA_TZ).year
    for area in Area.objects(code__in=["370000000000", "370100000000", COUNTY, "370101001000", VILLAGES[0]]):
        children = list(Area.objects.children_of(area.code))
        counted, recounted = counters_by_child(area, children), recount_by_child(area, year)
        for code in counted.keys() | recounted.keys():
            assert row_figures(counted.get(code), year) == row_figures(recounted.get(code), year), (
                area,
                code,
            )
    assert reconcile(KINDS)["drift"] == {}


def _new_household(rnd: random.Random, cadre, n: int) -> Household:
    data = {
        "number": f"T{n:05d}",
        "village_code": rnd.choice(VILLAGES),
        "head_name": f"户主{n}",
        "id_number": id_number(n),
    }
    if rnd.random() < 0.5:
        data["helper"] = cadre.username
    return households.create_household(SYSTEM, data)


def close_with_follow_up(item: RectificationItem) -> bool:
    """Close (销号) an item on the evidence of a follow-up visit of its household, if it has one."""
    follow_up = Visit.objects(household_id=item.household_id, state__ne="receiving").first()
    if follow_up is None:
        return False
    evidence.add_visit(SYSTEM, str(item.id), str(follow_up.id))
    ledger.update_item(SYSTEM, str(item.id), {"status": "closed", "close_note": "已整改"})
    return True


def test_random_events_keep_counters_equal_to_a_full_recount(world):
    cadre, (verifier, county) = world
    rnd = random.Random(20261123)
    homes: list[Household] = []
    for step in range(160):
        roll = rnd.random()
        submitted = list(Visit.objects(state="submitted"))
        waiting = list(Visit.objects(state__in=["checked", "has_issues", "in_review"]))
        open_items = list(RectificationItem.objects(status="open"))
        if roll < 0.2 or not homes:
            homes.append(_new_household(rnd, cadre, step))
        elif roll < 0.3:
            home = rnd.choice(homes)
            changes = rnd.choice(
                [{"helper": None}, {"helper": cadre.username}, {"village_code": rnd.choice(VILLAGES)}]
            )
            households.update_household(SYSTEM, str(home.id), changes)
        elif roll < 0.5:
            home = Household.objects.get(id=rnd.choice(homes).id)
            visit = build_visit(home, cadre, state="receiving", latest=False)
            lifecycle.move(
                visit, "submitted", principal_for(cadre), action="visit.submit", settle_counts=False
            )
        elif roll < 0.7 and submitted:
            visit = rnd.choice(submitted)
            failed = set(rnd.sample(INDICATORS, rnd.randrange(3)))
            satisfaction = rnd.choice(["satisfied", "basically_satisfied", "dissatisfied", None])
            target = rnd.choice(["checked", "has_issues"])
            fields = {
                "assessment": assessment(failed, income=rnd.choice([2000, 9000]), satisfaction=satisfaction)
            }
            lifecycle.move(visit, target, SYSTEM, action="visit.checked", fields=fields)
        elif roll < 0.85 and waiting:
            visit = rnd.choice(waiting)
            decision = rnd.choice(["approve", "approve", "reject", "request_revisit"])
            decide(
                county if visit.state == "in_review" else verifier,
                str(visit.id),
                decision,
                comment="核查意见",
            )
        elif roll < 0.93:
            home = rnd.choice(homes)
            ledger.create_item(SYSTEM, {"household_id": str(home.id), "problem": "问题"})
        elif open_items:
            close_with_follow_up(rnd.choice(open_items))
    for visit in Visit.objects(state="submitted"):  # what the check job does for each queued visit
        lifecycle.move(visit, "checked", SYSTEM, action="visit.checked", fields={"assessment": assessment()})
    assert Visit.objects(state="approved").count() and RectificationItem.objects(status="closed").count()
    assert_counters_equal_recount()  # the inline settles alone keep them exact
    assert not any(sweep_tallies(KINDS).values())  # nothing left for the sweep


def test_a_write_that_bypasses_the_services_is_counted_by_the_sweep(world):
    cadre, _ = world
    home = _new_household(random.Random(1), cadre, 1)
    build_visit(home, cadre, state="approved", assessed=assessment({"income"}, income=100))  # raw writes
    with pytest.raises(AssertionError):
        assert_counters_equal_recount()
    assert sweep_tallies(KINDS)["visit"] == 1
    assert_counters_equal_recount()


def test_a_crash_between_claim_and_counters_is_finished_once(world, monkeypatch):
    cadre, _ = world
    home = _new_household(random.Random(2), cadre, 2)
    visit = build_visit(home, cadre, state="receiving", latest=False)
    lifecycle.move(visit, "submitted", SYSTEM, action="visit.submit", settle_counts=False)
    real_apply = settle_module.apply_to_counters

    def crash(*args, **kwargs):
        raise ConnectionError("process killed (injected)")

    monkeypatch.setattr(settle_module, "apply_to_counters", crash)
    with pytest.raises(ConnectionError):
        settle(HOUSEHOLDS, [home.id])
    assert Household._get_collection().find_one({"_id": home.id})["tally_pending"]
    monkeypatch.setattr(settle_module, "apply_to_counters", real_apply)
    # a fresh settle leaves the claim alone while its owner may still be applying it ...
    settle(HOUSEHOLDS, [home.id])
    assert AreaCounter.objects.get(
        code=VILLAGES[0] if home.village_code == VILLAGES[0] else home.village_code
    )
    with pytest.raises(AssertionError):
        assert_counters_equal_recount()
    # ... and the sweep finishes it once it is abandoned
    monkeypatch.setattr(settle_module, "ABANDONED_AFTER_NS", 0)
    sweep_tallies(KINDS)
    assert_counters_equal_recount()


def test_a_crash_after_the_counters_but_before_the_done_record_counts_once(world, monkeypatch):
    cadre, _ = world
    home = _new_household(random.Random(3), cadre, 3)
    item = ledger.create_item(SYSTEM, {"household_id": str(home.id), "problem": "问题"})
    visit = build_visit(home, cadre, state="receiving", latest=False)
    lifecycle.move(visit, "submitted", SYSTEM, action="visit.submit")
    evidence.add_visit(SYSTEM, str(item.id), str(visit.id))
    collection_type = type(RectificationItem._get_collection())
    real_insert_one = collection_type.insert_one

    def crash_on_done(self, document, *args, **kwargs):
        if self.name == "tally_ops":
            raise ConnectionError("process killed (injected)")
        return real_insert_one(self, document, *args, **kwargs)

    monkeypatch.setattr(collection_type, "insert_one", crash_on_done)
    with pytest.raises(ConnectionError):
        ledger.update_item(SYSTEM, str(item.id), {"status": "closed", "close_note": "已整改"})
    monkeypatch.setattr(collection_type, "insert_one", real_insert_one)
    monkeypatch.setattr(settle_module, "ABANDONED_AFTER_NS", 0)
    assert sweep_tallies(KINDS)  # applies the operation again: each counter already lists it
    counts = AreaCounter.objects.get(code=COUNTY).counts
    assert (counts.get("problems_open", 0), counts.get("problems_closed")) == (0, 1)
    assert settle_module.unfinished(ITEMS) == []
    assert_counters_equal_recount()


def test_concurrent_settles_of_the_same_documents_count_each_change_once(world):
    cadre, _ = world
    homes = [_new_household(random.Random(10 + i), cadre, 10 + i) for i in range(12)]
    ids = [h.id for h in homes]
    # change every household behind the counters' back, then settle from four threads at once
    Household._get_collection().update_many({"_id": {"$in": ids}}, {"$set": {"latest_visit_id": "v"}})
    threads = [threading.Thread(target=settle, args=(HOUSEHOLDS, ids)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert AreaCounter.objects.get(code=COUNTY).counts["visited"] == len(homes)
    assert_counters_equal_recount()


def test_reconcile_reports_and_fixes_drift(world, app):
    cadre, _ = world
    _new_household(random.Random(4), cadre, 4)
    AreaCounter.objects(code=COUNTY).update_one(inc__counts__households=5)  # damage
    found = reconcile(KINDS)
    assert found["drift"][COUNTY]["households"] == (6, 1)
    assert ObjectId.is_valid(str(Household.objects.first().id))
    result = app.test_cli_runner().invoke(args=["doorstep", "reconcile"])
    assert result.exit_code == 2 and "drift in 370101000000: households 6→1" in result.output
    assert app.test_cli_runner().invoke(args=["doorstep", "reconcile", "--fix"]).exit_code == 0
    assert reconcile(KINDS)["drift"] == {}
    settle(VISITS, [])  # settling nothing is harmless
    settle(ITEMS, [ObjectId()])  # nor an id that does not exist
