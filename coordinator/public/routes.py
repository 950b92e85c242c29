"""Public pages: no log-in; each view reads only through services, which decide what the public may see."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from ..access import public
from ..campaigns.models import Campaign
from ..extensions import db
from ..pagination import paginate, search_arg
from ..plans import services as plans
from ..states import CampaignStatus, PlanChange
from ..stats.services import EARLIEST_YEAR, LATEST_YEAR
from ..timeutil import today
from . import services

bp = Blueprint("public", __name__, url_prefix="/public")
PAGE_SIZE = 20


def _page(query):
    return paginate(query, request.args.get("page", 1, type=int), PAGE_SIZE)


@bp.get("/")
@public
def index():
    return render_template("public/index.html", departments=services.departments_with_items())


@bp.get("/items")
@public
def items():
    department_id = request.args.get("department", type=int)
    return render_template("public/items.html", page=_page(services.items(department_id)),
                           departments=services.departments_with_items(), department_id=department_id)


@bp.get("/campaigns")
@public
def campaigns():
    return render_template("public/campaigns.html", page=_page(services.campaigns()))


@bp.get("/campaigns/<int:campaign_id>")
@public
def campaign(campaign_id):
    found = db.session.get(Campaign, campaign_id)
    if found is None or not services.is_visible(found):
        abort(404)  # a covert campaign does not exist for the public until it ends
    drawn = _page(services.drawn(found)) if found.reached(CampaignStatus.DRAWN) else None
    department_names = {cd.department_id: cd.department.name for cd in found.departments}
    return render_template("public/campaign.html", campaign=found, drawn=drawn, department_names=department_names,
                           seed_rounds=services.seed_rounds(found))


@bp.get("/plan")
@public
def plan():
    """The year's annual plan as it now stands, and every adjustment with its reason (seeds 000 and 002)."""
    years = plans.plan_years()
    year = request.args.get("year", type=int) or (years[0] if years else today().year)
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        abort(404)
    return render_template("public/plan.html", year=year, years=years, tasks=plans.current_tasks(year),
                           history=plans.history(year), month_label=plans.month_label, changes=PlanChange)


@bp.get("/results")
@public
def results():
    q = search_arg()
    return render_template("public/results.html", page=_page(services.published(q)), q=q)


@bp.get("/subjects/<credit_code>")
@public
def subject(credit_code):
    """The published part of an enterprise's file (一企一档): no inspectors, contacts or problem descriptions."""
    found = services.subject_file(credit_code)
    if found is None:
        abort(404)
    return render_template("public/subject.html", subject=found[0], history=found[1])
