"""Supervisors: the verification report with its chart and drill-down (area → village → household →
visit), downloads, dossiers, spot-check samples and the rectification ledger."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app.areas.service import areas_within, breadcrumbs, get_area, list_areas
from app.auth.current import current_principal
from app.clock import CHINA_TZ, now
from app.console.blueprint import bp
from app.console.chart import report_chart
from app.console.paging import page_number, page_of
from app.dossier.api import dossier_response
from app.errors import NotFound, ValidationFailed
from app.households.service import get_household, visible_households
from app.rectification.service import overdue_first, visible_items
from app.reports.downloads import verification_download
from app.reports.verification import DIRECT, verification_report
from app.samples import service as samples
from app.samples.downloads import sample_download
from app.visits.queries import latest_states, visible_visits

DOWNLOADS = ("csv", "xlsx")
SAMPLE_FIELDS = ("counties_per_city", "villages_per_county", "households_per_village")


def _drill_target(row: dict) -> str | None:
    if row["name"] == DIRECT or not row.get("level"):  # households filed directly under the area
        return None
    if row["level"] in ("village", "hamlet"):
        return url_for("console.village", code=row["code"])
    return url_for("console.report", area=row["code"])


@bp.route("/report")
def report():
    principal = current_principal()
    area = request.args.get("area") or None
    try:
        data = verification_report(principal, area)
    except ValidationFailed:  # several areas and none chosen: take the first
        data = verification_report(principal, principal.area_codes[0])
    here = get_area(principal, data["area"]["code"])
    return render_template(
        "console/report.html",
        report=data,
        chart=report_chart(data),
        crumbs=breadcrumbs(principal, here),
        targets={row["code"]: _drill_target(row) for row in data["rows"]},
        roots=list_areas(principal) if len(principal.area_codes) > 1 else [],
    )


@bp.route("/report.<fmt>")
def report_download(fmt: str):
    if fmt not in DOWNLOADS:
        raise NotFound()
    data = verification_report(current_principal(), request.args.get("area") or None)
    return verification_download(data, fmt)


@bp.route("/villages/<code>")
def village(code: str):
    principal = current_principal()
    area = get_area(principal, code)
    if not principal.covers(area.path):
        raise NotFound()
    page = page_number()
    households, more = page_of(
        visible_households(principal, area=code, q=request.args.get("q") or None), page
    )
    return render_template(
        "console/village.html",
        area=area,
        crumbs=breadcrumbs(principal, area),
        households=households,
        latest=latest_states(principal, [h.latest_visit_id for h in households]),
        page=page,
        more=more,
    )


@bp.route("/households/<household_id>")
def household(household_id: str):
    principal = current_principal()
    found = get_household(principal, household_id)
    return render_template(
        "console/household.html",
        household=found,
        crumbs=breadcrumbs(principal, get_area(principal, found.area_path[-1])),
        visits=list(visible_visits(principal, household_id=household_id).limit(100)),
        items=list(visible_items(principal, household_id=household_id).limit(100)),
    )


@bp.route("/households/<household_id>/dossier.pdf")
def dossier(household_id: str):
    return dossier_response(household_id)


@bp.route("/samples", methods=["GET", "POST"])
def sample_list():
    principal = current_principal()
    errors, entered = {}, {}
    if request.method == "POST":
        entered = request.form
        try:
            params = {name: int(entered.get(name) or 0) for name in SAMPLE_FIELDS}
            seed = int(entered["seed"]) if entered.get("seed", "").strip() else None
        except ValueError:
            errors = {"seed": ["请填写整数 Whole numbers only"]}
        else:
            try:
                drawn = samples.draw(principal, area=entered.get("area", ""), seed=seed, **params)
            except ValidationFailed as err:
                errors = err.details.get("errors") or {}
            else:
                flash(f"已抽取 {len(drawn.households)} 户 Drew {len(drawn.households)} households", "info")
                return redirect(url_for("console.sample", sample_id=str(drawn.id)))
    page = page_number()
    rows, more = page_of(samples.visible_samples(principal).exclude("households"), page)
    areas = [*areas_within(principal, "county"), *areas_within(principal, "town")]
    page_html = render_template(
        "console/samples.html",
        samples=rows,
        page=page,
        more=more,
        areas=areas or list_areas(principal),
        errors=errors,
        entered=entered,
    )
    return page_html, 422 if errors else 200


@bp.route("/samples/<sample_id>")
def sample(sample_id: str):
    return render_template("console/sample.html", sample=samples.get_sample(current_principal(), sample_id))


@bp.route("/samples/<sample_id>.<fmt>")
def sample_file(sample_id: str, fmt: str):
    if fmt not in DOWNLOADS:
        raise NotFound()
    return sample_download(samples.get_sample(current_principal(), sample_id), fmt)


@bp.route("/rectifications")
def ledger():
    principal = current_principal()
    status = request.args.get("status") if request.args.get("status") in ("open", "closed") else None
    today = now().astimezone(CHINA_TZ).date()
    overdue, rest = overdue_first(
        principal, today=today, area=request.args.get("area") or None, status=status
    )
    page = page_number()
    rows, more = page_of(rest, page)
    return render_template(
        "console/ledger.html",
        overdue=list(overdue.limit(500)) if page == 1 else [],
        rows=rows,
        page=page,
        more=more,
        status=status,
        today=today,
    )
