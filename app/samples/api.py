"""Spot-check samples (抽查): POST /samples draws and records one; GET reads or exports it."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.current import current_principal
from app.downloads import table_download_doc
from app.pagination import PAGE, QuerySetPage
from app.samples import service
from app.samples.downloads import sample_download
from app.samples.schemas import SampleFormat, SampleIn, SampleOut, SampleQuery, SampleSummaryOut

blp = Blueprint("samples", __name__, description="抽查样本 Spot-check samples")


@blp.route("")
class SamplesView(MethodView):
    @blp.arguments(SampleIn)
    @blp.response(201, SampleOut)
    def post(self, data):
        """Draw a stratified sample (supervisors, admins) and record it.

        In a province or city: `counties_per_city` counties in each city, then `villages_per_county`
        villages in each drawn county; in a county or town: villages; in a village: households only.
        Then `households_per_village` households in each drawn village. Only areas with households
        are drawn from; where there are fewer than asked for, all are taken. Each stratum draws from
        a list sorted by code (households by 户编号) with a generator seeded from `seed` and the
        stratum's code: the same seed over the same data draws the same sample.
        """
        return service.draw(current_principal(), **data)

    @blp.arguments(SampleQuery, location="query")
    @blp.response(200, SampleSummaryOut(many=True))
    @blp.paginate(QuerySetPage, **PAGE)
    def get(self, query):
        """Samples drawn in your areas, newest first (without their household lists)."""
        return service.visible_samples(current_principal(), **query)


@blp.route("/<sample_id>")
class SampleView(MethodView):
    @blp.arguments(SampleFormat, location="query")
    @blp.response(200, SampleOut)
    @blp.doc(**table_download_doc(SampleOut))
    def get(self, query, sample_id):
        """A recorded sample; `format=csv` or `format=xlsx` downloads its household list (抽查名单)."""
        sample = service.get_sample(current_principal(), sample_id)
        if query["format"] == "json":
            return sample
        return sample_download(sample, query["format"])
