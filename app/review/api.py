"""Review up the chain: each level's queue, sign-offs, bulk approval, a visit's history, each area's
chain, and the city's re-check draws."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.error_handler import ErrorSchema

from app.auth.current import current_principal
from app.media.request import request_links
from app.pagination import PAGE, QuerySetPage, RenderedQuery
from app.review import chains, rechecks, service
from app.review.presenter import queue_items
from app.review.schemas import (
    BulkApproveIn,
    BulkResultOut,
    ChainIn,
    ChainOut,
    HistoryOut,
    QueueItemOut,
    QueueQuery,
    RecheckIn,
    RecheckOut,
    ReviewIn,
)
from app.visits.presenter import visits_view
from app.visits.schemas import VisitOut

blp = Blueprint("review", __name__, description="逐级审核 Review, level by level")


def _render_queue(visits: list) -> list[dict]:
    return queue_items(visits, current_app.extensions["forms"], request_links(absolute=True))


def _default_chain() -> chains.Chain:
    return current_app.extensions["review_chain"]


def _show(visit) -> dict:
    return visits_view([visit], current_app.extensions["forms"], request_links(absolute=True))[0]


@blp.route("/review/queue")
class ReviewQueueView(MethodView):
    @blp.arguments(QueueQuery, location="query")
    @blp.response(200, QueueItemOut(many=True))
    @blp.paginate(QuerySetPage, **PAGE)
    def get(self, query):
        """Visits waiting for your level's sign-off in your areas, oldest submission first.

        Town verifiers see `checked` and `has_issues` visits, as before; county and city supervisors see
        the visits lower levels approved (`in_review`) and, for the city, approved visits drawn for a
        re-check. `level` picks one of the levels you sign at. Each item is the visit with a `summary`:
        failed check codes and, per photo, its links and EXIF.
        """
        return RenderedQuery(service.review_queue(current_principal(), **query), _render_queue)


@blp.route("/visits/<visit_id>/review")
class ReviewView(MethodView):
    @blp.arguments(ReviewIn)
    @blp.response(200, VisitOut)
    @blp.alt_response(
        409, schema=ErrorSchema, description="already decided (reason already_decided), or changed meanwhile"
    )
    @blp.alt_response(422, schema=ErrorSchema, description="comment missing where one is required")
    def post(self, data, visit_id):
        """Sign the visit off at the level it waits for: approve, reject or request_revisit.

        The town verifier signs first, then each higher level of the area's chain (county, city
        supervisors); one sign-off per level. Approval by a level that is not the last moves the visit
        to `in_review` for the next level; the last level's approval makes it `approved` and marks the
        household verified with this visit's assessment. Any level may reject, or send the visit back
        to the cadre (`request_revisit`, household status revisit_requested), with slot comments. On a
        visit drawn for a city re-check, approve confirms the approval and reject / request_revisit
        overturn it. reject and request_revisit need a `comment`; so does approving a visit in
        `has_issues` (谁把关、谁负责). Rejections and send-backs open an item on the rectification ledger.
        """
        return _show(service.decide(current_principal(), visit_id, **data))


@blp.route("/review/bulk-approve")
class BulkApproveView(MethodView):
    @blp.arguments(BulkApproveIn)
    @blp.response(200, BulkResultOut(many=True))
    def post(self, data):
        """Approve several visits; each goes through the same rules as a single decision and gets its
        own result (`ok` with the new `state`, or an `error` with code, reason and message)."""
        return service.bulk_approve(current_principal(), data["visit_ids"], data["comment"])


@blp.route("/visits/<visit_id>/history")
class HistoryView(MethodView):
    @blp.response(200, HistoryOut)
    def get(self, visit_id):
        """Every state change and sign-off of the visit with actor, role, level and time, the chain of
        sent-back visits and their corrections (`revisions`); plus its audit trail for reviewers,
        supervisors and admins."""
        return service.visit_history(current_principal(), visit_id)


@blp.route("/review/chains/<area_code>")
class ChainView(MethodView):
    @blp.response(200, ChainOut)
    def get(self, area_code):
        """The review chain for visits in the area: its own, the nearest area's above it, or the default."""
        return chains.effective_chain(current_principal(), area_code, _default_chain())

    @blp.arguments(ChainIn)
    @blp.response(200, ChainOut)
    def put(self, data, area_code):
        """Set the area's chain (admins, or supervisors of the area or above it). Visits already in
        review keep the chain they started with."""
        principal = current_principal()
        chains.set_chain(principal, area_code, data["levels"], data["recheck_percent"], data["reason"])
        return chains.effective_chain(principal, area_code, _default_chain())

    @blp.response(204)
    def delete(self, area_code):
        """Remove the area's own chain: its visits follow the area above it, or the default."""
        chains.remove_chain(current_principal(), area_code)


@blp.route("/review/rechecks")
class RechecksView(MethodView):
    @blp.arguments(RecheckIn)
    @blp.response(201, RecheckOut)
    def post(self, data):
        """Draw approved visits in a city's area for its re-check (市级抽查), seeded and recorded: the
        same seed over the same visits draws the same ones. Drawn visits wait in the city's queue."""
        return rechecks.draw_recheck(
            current_principal(), data["area"], data["seed"], _default_chain(), data["percent"]
        )


@blp.route("/review/rechecks/<draw_id>")
class RecheckView(MethodView):
    @blp.response(200, RecheckOut)
    def get(self, draw_id):
        return rechecks.get_draw(current_principal(), draw_id)
