"""Cadres at a desk: their households with the latest visit's state, and visits sent back to them."""

from __future__ import annotations

from flask import current_app, render_template, request

from app.auth.current import current_principal
from app.console.blueprint import bp
from app.console.paging import page_number, page_of
from app.households.service import households_by_id, visible_households
from app.visits.queries import latest_states, sent_back


@bp.route("/my")
def my_households():
    principal = current_principal()
    mine = request.args.get("all") != "1"
    page = page_number()
    query = visible_households(
        principal, helper_id=principal.user_id if mine else None, q=request.args.get("q") or None
    )
    households, more = page_of(query, page)
    return render_template(
        "console/my_households.html",
        households=households,
        latest=latest_states(principal, [h.latest_visit_id for h in households]),
        mine=mine,
        page=page,
        more=more,
    )


@bp.route("/sent-back")
def sent_back_visits():
    principal = current_principal()
    page = page_number()
    visits, more = page_of(sent_back(principal), page)
    forms = current_app.extensions["forms"]
    slot_labels = {}
    for v in visits:
        form = forms.get(v.form_id, v.form_version)
        slot_labels |= {s.slot: s.label_zh for s in form.attachment_slots}
    households = households_by_id(principal, [v.household_id for v in visits])
    return render_template(
        "console/sent_back.html",
        visits=visits,
        households=households,
        slot_labels=slot_labels,
        page=page,
        more=more,
    )
