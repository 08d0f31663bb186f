"""GET /households/{id}/dossier.pdf: the household's dossier (一户一档)."""

from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.current import current_principal
from app.dossier.service import dossier_pdf
from app.downloads import content_disposition

blp = Blueprint("dossier", __name__, description="一户一档 Household dossier")


def dossier_response(household_id: str) -> Response:
    """The caller's view of the household's dossier as an inline PDF (the API and the console)."""
    ext = current_app.extensions
    pdf, dossier = dossier_pdf(current_principal(), household_id, ext["forms"], ext["store"])
    number = dossier.household.number
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": content_disposition(
                f"一户一档_{number}_{dossier.household.head_name}.pdf", f"dossier_{number}.pdf", "inline"
            ),
            "Cache-Control": "no-store",
        },
    )


@blp.route("/<household_id>/dossier.pdf")
class DossierView(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "the dossier as a PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    )
    def get(self, household_id):
        """The household's record (ID numbers masked unless your role may see them), members, latest
        approved visit (or the latest visit, marked as not yet approved) with its assessment, four
        photos, four signatures, check results and review record; who generated it and when."""
        return dossier_response(household_id)
