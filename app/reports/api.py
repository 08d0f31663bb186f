"""Reports: GET /reports/verification (JSON, CSV or XLSX)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.current import current_principal
from app.downloads import table_download_doc
from app.reports import downloads
from app.reports.schemas import ReportQuery, VerificationReportOut
from app.reports.verification import verification_report

blp = Blueprint("reports", __name__, description="统计报表 Reports")


@blp.route("/verification")
class VerificationReportView(MethodView):
    @blp.arguments(ReportQuery, location="query")
    @blp.response(200, VerificationReportOut)
    @blp.doc(**table_download_doc(VerificationReportOut))
    def get(self, query):
        """Verification progress per child area plus a total (核查进度统计).

        `format=csv` or `format=xlsx` downloads the same table with Chinese headers. Definitions:
        visited = households whose latest visit was submitted (all evidence received); coverage =
        visited / households; pending_review, approved and sent_back (rejected + revisit_requested)
        count visits; pass rates are over households with a latest assessment; satisfaction_rate =
        (满意 + 基本满意) / answers; helpers_in_place = households with a 帮扶责任人 / households. Rates
        are percentages with one decimal, null when there is nothing to divide by. `lifecycle` counts
        households by poverty status (脱贫享受政策, 监测对象 by type, ...) and `year`'s changes (返贫,
        脱贫, 新识别, ...).
        """
        report = verification_report(current_principal(), query.get("area"), query.get("year"))
        if query["format"] == "json":
            return report
        return downloads.verification_download(report, query["format"])
