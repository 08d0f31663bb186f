"""The ledger, one item at a time: follow it up (measure, deadline, person responsible), add a
follow-up visit as evidence, and close it (销号) with a note, through the same service and rules as the
API (`app.rectification`): only the ledger's keepers, the person responsible for the measure and
evidence, closing only by the opener's level or above and never without evidence."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from app.auth.current import current_principal
from app.console.blueprint import bp
from app.errors import InvalidTransition, ValidationFailed
from app.rectification import evidence
from app.rectification.schemas import RectificationPatch
from app.rectification.service import get_item, is_responsible, may_close, update_item
from app.visits.queries import visible_visits

FOLLOW_UP_FIELDS = ("measure", "deadline", "responsible_name")


def _render(item_id: str, errors: dict | None = None, entered=None, status: int = 200):
    principal = current_principal()
    item = get_item(principal, item_id)
    keeper = principal.can("rectification.write")
    # the household's submitted visits the caller can see: candidates for follow-up evidence
    visits = (
        visible_visits(principal, household_id=item.household_id)
        .filter(state__ne="receiving")
        .only("id", "state", "started_at", "cadre")
        .limit(20)
    )
    page = render_template(
        "console/ledger_item.html",
        item=item,
        may_follow_up=item.status == "open" and (keeper or is_responsible(principal, item)),
        keeper=keeper,
        may_close=item.status == "open" and may_close(principal, item),
        visits=list(visits),
        errors=errors or {},
        entered=entered or {},
    )
    return page, status


@bp.route("/rectifications/<item_id>")
def ledger_item(item_id: str):
    return _render(item_id)


@bp.route("/rectifications/<item_id>", methods=["POST"])
def follow_up(item_id: str):
    """One of three forms: `action` update (measure, deadline, responsible), evidence (a visit), close."""
    principal, form = current_principal(), request.form
    action = form.get("action")
    try:
        if action == "evidence":
            _item, added = evidence.add_visit(principal, item_id, form.get("visit_id", ""), form.get("note"))
            flash("已添加佐证 Evidence added" if added else "该走访已是佐证 Already evidence", "info")
        elif action == "close":
            closing = {"status": "closed", "close_note": form.get("close_note")}
            update_item(principal, item_id, _patch(closing))
            flash("已销号 Closed", "info")
        else:
            wanted = {k: form.get(k) for k in FOLLOW_UP_FIELDS if k in form}
            if not principal.can("rectification.write"):
                wanted.pop("responsible_name", None)  # the person responsible sets the measure only
                wanted.pop("deadline", None)
            update_item(principal, item_id, _patch(wanted))
            flash("已保存 Saved", "info")
    except ValidationFailed as err:
        return _render(item_id, errors=err.details.get("errors") or {}, entered=form, status=422)
    except InvalidTransition as err:
        flash(err.message, "error")
    return redirect(url_for("console.ledger_item", item_id=item_id))


def _patch(raw: dict) -> dict:
    """The form's fields through the API's own schema (empty deadline clears it; other blanks are left)."""
    data = {k: v for k, v in raw.items() if v not in (None, "") or k == "deadline"}
    if data.get("deadline") == "":
        data["deadline"] = None
    try:
        return RectificationPatch().load(data)
    except ValidationError as err:
        raise ValidationFailed(errors=err.messages) from None
