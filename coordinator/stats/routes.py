"""The statistics form page and its download, and the office's dashboard."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from ..access import login_required, roles_required
from ..campaigns.models import Campaign
from ..excel.writer import send_workbook
from ..exchange.services import risk_currency
from ..extensions import db
from ..states import CampaignStatus
from ..timeutil import today
from . import services
from .xlsx import write_form

bp = Blueprint("stats", __name__, url_prefix="/stats")


def _visible_campaigns():
    """Campaigns the user may count: all for the office, its own department's for everyone else."""
    query = (sa.select(Campaign).where(Campaign.status.in_(CampaignStatus.DISPATCHED.and_later()))
             .order_by(Campaign.period_start.desc(), Campaign.id.desc()))
    if not current_user.is_office:
        query = query.where(Campaign.departments.any(department_id=current_user.department_id))
    return db.session.scalars(query).all()


def _default_year() -> int:
    """The latest year with results handed in; else the latest with records; else this year."""
    years = services.years_with_records()
    return services.latest_year_with_results() or (years[0] if years else today().year)


def _scope() -> services.Scope:
    """The form asked for, if the user may see it.

    The year's form is county-level data any signed-in user may read (its figures are published anyway);
    a campaign's form is for the office and the departments taking part, as the campaign itself is.
    """
    campaign_id = request.args.get("campaign", "").strip()
    year = request.args.get("year", "").strip()
    if not campaign_id and not year:
        year = str(_default_year())
    try:
        scope = services.parse_scope(campaign_id, year)
    except services.StatsError:
        abort(404 if campaign_id.isdigit() and not year else 400)
    if scope.campaign_id is not None and not current_user.is_office:
        campaign = db.session.get(Campaign, scope.campaign_id)
        if campaign.campaign_department(current_user.department_id) is None:
            abort(403)
    return scope


@bp.get("/")
@login_required
def index():
    scope = _scope()
    years = sorted(set(services.years_with_records()) | {today().year, *([scope.year] if scope.year else [])},
                   reverse=True)
    return render_template("stats/index.html", scope=scope, form=services.county_form(scope),
                           figures=services.FIGURES, groups=services.header_groups(), campaigns=_visible_campaigns(),
                           years=years, office=services.reporting_office(current_app.config["COUNTY_NAME"]),
                           apart_title=services.APART_TITLE, shares_title=services.SHARES_TITLE,
                           share_lines=services.share_lines)


@bp.get("/form.xlsx")
@login_required
def download():
    scope = _scope()
    office = services.reporting_office(current_app.config["COUNTY_NAME"])
    form = services.county_form(scope)
    return send_workbook(lambda target: write_form(target, form, office=office, filled_on=today()), scope.filename)


@bp.get("/dashboard")
@roles_required("office")
def dashboard():
    """County-wide figures for the office; departments read their own rows on the statistics form."""
    year = request.args.get("year", type=int) or _default_year()
    try:
        figures = services.dashboard(year)
    except services.StatsError:
        abort(400)
    years = sorted(set(services.years_with_records()) | {today().year, year}, reverse=True)
    return render_template("stats/dashboard.html", d=figures, years=years, chart=services.chart_data(figures),
                           risk=risk_currency())
