"""The review queue as a verifier pages through it: filters, counts per state, keyset pages, neighbours.

Pages are keyset pages over the queue's order (submitted_at, id): each page starts where the last one
ended, so page 50 costs what page 1 costs, whatever the size of the queue (an offset would make the
database walk past every earlier visit). The filters and the order are `service.review_queue`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bson import ObjectId
from mongoengine import Q

from app.auth.principal import Principal
from app.review.service import QUEUE_STATES, review_queue
from app.visits.models import Visit

PAGE_SIZE = 50
TIES = 10  # visits read past a position to step over others submitted in the same millisecond


@dataclass(frozen=True)
class QueueFilter:
    area: str | None = None
    state: str | None = None
    failed_check: str | None = None  # a blocking check code that failed
    level: str | None = None  # the review level (town, county, city); default: the caller's lowest

    def query(self, principal: Principal):
        query = review_queue(principal, area=self.area, state=self.state, level=self.level)
        if self.failed_check:
            failed = {"code": self.failed_check, "passed": False, "severity": "error"}
            query = query.filter(checks__match=failed)
        return query


@dataclass(frozen=True)
class Cursor:
    """A position in the queue's order: the (submitted_at, id) of a visit."""

    submitted_at: datetime
    visit_id: ObjectId

    @classmethod
    def of(cls, visit: Visit) -> Cursor:
        return cls(visit.submitted_at, visit.id)

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """A cursor from its text form; None for nothing or anything malformed (the first page)."""
        millis, _, oid = (text or "").partition("-")
        if not millis.isdigit() or not ObjectId.is_valid(oid):
            return None
        return cls(datetime.fromtimestamp(int(millis) / 1000, UTC), ObjectId(oid))

    def __str__(self) -> str:
        return f"{round(self.key[0].timestamp() * 1000)}-{self.visit_id}"

    @property
    def key(self) -> tuple[datetime, ObjectId]:
        stamp = self.submitted_at if self.submitted_at.tzinfo else self.submitted_at.replace(tzinfo=UTC)
        return stamp, self.visit_id

    def after(self) -> Q:
        return Q(submitted_at__gt=self.submitted_at) | Q(submitted_at=self.submitted_at, id__gt=self.visit_id)

    def before(self) -> Q:
        return Q(submitted_at__lt=self.submitted_at) | Q(submitted_at=self.submitted_at, id__lt=self.visit_id)


@dataclass
class QueuePage:
    visits: list[Visit]
    next: Cursor | None  # where the following page starts; None on the last page
    previous: Cursor | None  # where the page before this one ends; None on the first page


def queue_page(
    principal: Principal,
    filters: QueueFilter,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> QueuePage:
    """One page of the queue, oldest first: after `after`, or the page that ends right before `before`."""
    query = filters.query(principal)
    if before is not None:
        rows = list(query.filter(before.before()).order_by("-submitted_at", "-id").limit(size + 1))
        more_before = len(rows) > size
        visits = list(reversed(rows[:size]))
        return QueuePage(
            visits,
            next=Cursor.of(visits[-1]) if visits else None,
            previous=Cursor.of(visits[0]) if more_before else None,
        )
    if after is not None:
        query = query.filter(after.after())
    rows = list(query.limit(size + 1))
    visits = rows[:size]
    return QueuePage(
        visits,
        next=Cursor.of(visits[-1]) if len(rows) > size else None,
        previous=Cursor.of(visits[0]) if after is not None and visits else None,
    )


def neighbour(principal: Principal, filters: QueueFilter, visit: Visit, direction: str) -> str | None:
    """Id of the visit just after (direction "next") or before ("previous") `visit` in the filtered queue.

    A plain range on submitted_at with a sort, which the index serves; visits submitted in the same
    millisecond are told apart by id here rather than by an $or in the query.
    """
    if visit.submitted_at is None:
        return None
    here = Cursor.of(visit)
    forward = direction == "next"
    order = ("submitted_at", "id") if forward else ("-submitted_at", "-id")
    bound = {"submitted_at__gte" if forward else "submitted_at__lte": here.submitted_at}
    rows = list(
        filters.query(principal).filter(**bound).order_by(*order).only("id", "submitted_at").limit(TIES)
    )
    beyond = [v for v in rows if (Cursor.of(v).key > here.key if forward else Cursor.of(v).key < here.key)]
    if beyond:
        return str(beyond[0].id)
    if len(rows) < TIES:
        return None
    keyset = here.after() if forward else here.before()  # more ties than one read: ask precisely
    found = filters.query(principal).filter(keyset).order_by(*order).only("id").first()
    return str(found.id) if found else None


def queue_counts(principal: Principal, area: str | None = None, level: str | None = None) -> dict:
    """Visits waiting per state, and per failed blocking check code, in the caller's (or one) area.

    Unsorted aggregations: one over the queue by state, one over the has_issues visits' failed checks
    (cheaper than one $facet over both on the embedded server, and no worse on MongoDB)."""
    queue = review_queue(principal, area=area, level=level).order_by()
    states = {state: 0 for state in QUEUE_STATES}
    for row in queue.aggregate([{"$group": {"_id": "$state", "n": {"$sum": 1}}}]):
        states[row["_id"]] = row["n"]
    failed = {}
    pipeline = [
        {"$unwind": "$checks"},
        {"$match": {"checks.passed": False, "checks.severity": "error"}},
        {"$group": {"_id": {"visit": "$_id", "code": "$checks.code"}}},
        {"$group": {"_id": "$_id.code", "n": {"$sum": 1}}},
    ]
    for row in (
        review_queue(principal, area=area, state="has_issues", level=level).order_by().aggregate(pipeline)
    ):
        failed[row["_id"]] = row["n"]
    return {"states": states, "total": sum(states.values()), "failed_checks": dict(sorted(failed.items()))}
