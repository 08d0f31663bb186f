"""Poverty-status decisions and assistance for a household, and the identification of candidates."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.adjustment import decisions, identification
from app.adjustment.schemas import (
    ApplicationIn,
    AssistanceIn,
    IdentificationOut,
    IdentificationQuery,
    PovertyDecisionIn,
    PovertyEventOut,
    StepIn,
)
from app.auth.current import current_principal
from app.pagination import PAGE, QuerySetPage

blp = Blueprint("adjustment", __name__, description="动态调整与识别 Poverty status and identification")


@blp.route("/households/<household_id>/poverty-events")
class PovertyEventsView(MethodView):
    @blp.response(200, PovertyEventOut(many=True))
    def get(self, household_id):
        """The household's poverty-status changes and 即时帮扶, oldest first."""
        return decisions.poverty_events(current_principal(), household_id)

    @blp.arguments(PovertyDecisionIn)
    @blp.response(201, PovertyEventOut)
    @blp.alt_response(409, description="not allowed from the household's status, or changed meanwhile")
    def post(self, data, household_id):
        """Decide on the household's poverty status (supervisors), with reason and evidence: 脱贫
        (lift_out: cite an approved visit that passed), 纳入监测, 风险消除, 返贫, 清退, 自然减员."""
        return decisions.decide(
            current_principal(),
            household_id,
            data["event"],
            data["reason"],
            to=data["to"],
            evidence=data["evidence"],
        )


@blp.route("/households/<household_id>/assistance")
class AssistanceView(MethodView):
    @blp.arguments(AssistanceIn)
    @blp.response(201, PovertyEventOut)
    def post(self, data, household_id):
        """Record 即时帮扶 given to a monitored household (监测对象); its status stays."""
        return decisions.record_assistance(
            current_principal(), household_id, data["measures"], data["evidence"]
        )


@blp.route("/identifications")
class IdentificationsView(MethodView):
    @blp.arguments(IdentificationQuery, location="query")
    @blp.response(200, IdentificationOut(many=True))
    @blp.paginate(QuerySetPage, **PAGE)
    def get(self, query):
        """Identifications in your areas, newest first."""
        return identification.visible_identifications(current_principal(), **query)

    @blp.arguments(ApplicationIn)
    @blp.response(201, IdentificationOut)
    def post(self, data):
        """File an application (申请): a new candidate household found under 四个必到 (`household`), or an
        ordinary or monitored one (`household_id`). Then 村评议 → 公示 → 乡镇审核 → 县审定, each signed."""
        return identification.file_application(current_principal(), data)


@blp.route("/identifications/<identification_id>")
class IdentificationView(MethodView):
    @blp.response(200, IdentificationOut)
    def get(self, identification_id):
        return identification.get_identification(current_principal(), identification_id)


@blp.route("/identifications/<identification_id>/steps")
class StepsView(MethodView):
    @blp.arguments(StepIn)
    @blp.response(200, IdentificationOut)
    @blp.alt_response(409, description="not the next step, finished, or moved on meanwhile")
    def post(self, data, identification_id):
        """Sign the next step: village_review and public_notice (village cadre), town_check (town
        verifier, citing a visit the town approved), county_decision (county supervisor). A `fail`
        declines the application; the county's `pass` puts the household on the register (poor)."""
        return identification.take_step(current_principal(), identification_id, **data)
