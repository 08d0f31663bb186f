"""Verifiers: the review queue, one visit with its evidence side by side, decisions, bulk approval.

The visit page is also what supervisors and cadres see of a visit (without the decision form).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for

from app import labels
from app.areas.service import areas_within
from app.auth.current import current_principal
from app.console import pages
from app.console.blueprint import bp
from app.errors import AlreadyDecided, Conflict, InvalidTransition, ValidationFailed
from app.households.service import get_household, households_by_id
from app.media.request import request_links
from app.review import service as review
from app.review.chains import LEVELS, signing_levels
from app.review.matches import matches_for
from app.review.presenter import failed_codes
from app.review.queue import Cursor, QueueFilter, neighbour, queue_counts, queue_page
from app.visits.presenter import visits_view
from app.visits.queries import get_visit

LEVEL_LABELS = {key: level.label for key, level in LEVELS.items()}
FILTER_ARGS = ("level", "village", "state", "check")


def _filters() -> QueueFilter:
    args = request.args
    state = args.get("state") if args.get("state") in review.QUEUE_STATES else None
    level = args.get("level") or None
    return QueueFilter(args.get("village") or None, state, args.get("check") or None, level)


def _filter_args() -> dict:
    return {k: request.args[k] for k in FILTER_ARGS if request.args.get(k)}


@bp.route("/queue")
def queue():
    principal, filters = current_principal(), _filters()
    page = queue_page(
        principal,
        filters,
        after=Cursor.parse(request.args.get("after")),
        before=Cursor.parse(request.args.get("before")),
    )
    households = households_by_id(principal, [v.household_id for v in page.visits])
    villages = areas_within(principal, "village")
    return render_template(
        "console/queue.html",
        page=page,
        rows=[(v, households.get(v.household_id), *failed_codes(v.checks)) for v in page.visits],
        counts=queue_counts(principal, area=filters.area, level=filters.level),
        levels=signing_levels(principal),
        level_labels=LEVEL_LABELS,
        villages=villages,
        village_names={a.code: a.name for a in villages},
        filters=filters,
        filter_args=_filter_args(),
    )


@bp.route("/queue/approve", methods=["POST"])
def bulk_approve():
    """Approve the ticked visits; visits whose checks failed are refused (approving them needs a comment)."""
    ids = request.form.getlist("visit_id")
    if not ids:
        flash("未选择走访 No visit selected", "error")
    else:
        results = review.bulk_approve(current_principal(), ids[: review.MAX_BULK])
        done = sum(1 for r in results if r["ok"])
        flash(f"已通过 {done} 条走访 Approved {done}", "info")
        for r in results:
            if not r["ok"]:
                flash(f"走访 {r['visit_id']} 未通过：{r['error']['message']}", "error")
    return redirect(url_for("console.queue", **_filter_args()))


def _render_visit(visit, *, errors: dict | None = None, entered: dict | None = None, status: int = 200):
    principal, ext, cfg = current_principal(), current_app.extensions, current_app.config["DOORSTEP"]
    links = request_links(absolute=False)
    view = visits_view([visit], ext["forms"], links)[0]
    household = get_household(principal, visit.household_id)
    home = (household.lat, household.lon) if household.lat is not None and household.lon is not None else None
    cards = pages.slot_cards(
        view,
        matches_for(principal, visit),
        links,
        home,
        tolerance=timedelta(minutes=cfg.CHECK_TIME_TOLERANCE_MINUTES),
        allowed_m=cfg.CHECK_MAX_DISTANCE_M,
    )
    level = review.awaits(principal, visit)
    form = ext["forms"].get(visit.form_id, visit.form_version)
    page = render_template(
        "console/visit.html",
        visit=visit,
        view=view,
        household=household,
        cards=cards,
        visit_checks=pages.visit_checks(view),
        plot=pages.visit_plot(view, cards, home, cfg.CHECK_MAX_DISTANCE_M),
        answers=pages.answer_rows(form.fields, visit.answers),
        history=review.visit_history(principal, str(visit.id)),
        can_decide=level is not None,
        level_label=LEVEL_LABELS.get(level or ""),
        in_queue=principal.can("visits.review"),
        filter_args=_filter_args(),
        errors=errors or {},
        entered=entered or {},
        link_ttl=links.ttl,
    )
    return page, status


@bp.route("/visits/<visit_id>")
def visit(visit_id: str):
    return _render_visit(get_visit(current_principal(), visit_id))


@bp.route("/visits/<visit_id>/decision", methods=["POST"])
def decide(visit_id: str):
    principal, form = current_principal(), request.form
    slot_comments = {
        key.removeprefix("slot_comment."): value
        for key, value in form.items()
        if key.startswith("slot_comment.") and value.strip()
    }
    decision = form.get("decision", "")
    if decision not in review.DECISION_STATES:
        errors = {"decision": ["请选择审核结论 Choose a decision"]}
        return _render_visit(get_visit(principal, visit_id), errors=errors, entered=form, status=422)
    try:
        decided = review.decide(principal, visit_id, decision, form.get("comment"), slot_comments)
    except ValidationFailed as err:
        errors = err.details.get("errors") or {}
        return _render_visit(get_visit(principal, visit_id), errors=errors, entered=form, status=422)
    except (AlreadyDecided, Conflict, InvalidTransition) as err:
        flash(err.message, "error")
        return redirect(url_for("console.visit", visit_id=visit_id, **_filter_args()))
    flash(f"已审核：{labels.DECISIONS[decision]} Decided", "info")
    return _go(neighbour(principal, _filters(), decided, "next"))


@bp.route("/visits/<visit_id>/<any(next, previous):direction>")
def step(visit_id: str, direction: str):
    """The next or previous visit in the (filtered) queue, found when asked: pages render without it."""
    principal = current_principal()
    found = neighbour(principal, _filters(), get_visit(principal, visit_id), direction)
    if found is None:
        flash(
            "已是队列的最后一条 End of the queue" if direction == "next" else "已是第一条 Start of the queue",
            "info",
        )
    return _go(found, stay=visit_id)


def _go(visit_id: str | None, stay: str | None = None):
    """To a visit with the queue's filters kept; to `stay`, or else the queue, when there is none."""
    target = visit_id or stay
    if target:
        return redirect(url_for("console.visit", visit_id=target, **_filter_args()))
    return redirect(url_for("console.queue", **_filter_args()))
