"""Review by town verifiers: the queue, decisions, bulk approval and a visit's history."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.error_handler import ErrorSchema

from app.auth.current import current_principal
from app.pagination import PAGE, QuerySetPage, RenderedQuery
from app.review import service
from app.review.presenter import queue_items
from app.review.schemas import (
    BulkApproveIn,
    BulkResultOut,
    HistoryOut,
    QueueItemOut,
    QueueQuery,
    ReviewIn,
)
from app.visits.presenter import visits_view
from app.visits.schemas import VisitOut

blp = Blueprint("review", __name__, description="镇级审核 Review by town verifiers")


def _render_queue(visits: list) -> list[dict]:
    ext = current_app.extensions
    return queue_items(visits, ext["forms"], ext["store"])


def _show(visit) -> dict:
    ext = current_app.extensions
    return visits_view([visit], ext["forms"], ext["store"])[0]


@blp.route("/review/queue")
class ReviewQueueView(MethodView):
    @blp.arguments(QueueQuery, location="query")
    @blp.response(200, QueueItemOut(many=True))
    @blp.paginate(QuerySetPage, **PAGE)
    def get(self, query):
        """Visits waiting for review in your towns (checked and has_issues), oldest submission first.

        Each item is the visit with a `summary`: failed check codes and, per photo, its links and EXIF.
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
        """Decide on a visit: approve, reject or request_revisit (verifiers only; one decision per visit).

        reject and request_revisit need a `comment`. Approving a visit in `has_issues` (its automatic
        checks failed) is allowed but needs a `comment` too: the verifier takes responsibility
        (谁把关、谁负责). Approval marks the household verified with this visit's assessment; a revisit
        request sends it back to the cadre (household status revisit_requested). Rejections and revisit
        requests open an item on the rectification ledger.
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
        """Every state change of the visit with actor, role and time; plus its audit trail for
        verifiers, supervisors and admins."""
        return service.visit_history(current_principal(), visit_id)
