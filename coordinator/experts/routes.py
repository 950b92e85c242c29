"""The expert pool, and a campaign's experts: which industries need one, who was drawn for which enterprise."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import login_required, roles_required
from ..auth.models import Department
from ..campaigns.models import Draw
from ..campaigns.routes import _campaign
from ..campaigns.services import CampaignError
from ..draws import services as rounds
from ..draws.forms import campaign_seeding
from ..excel.importing import RowInvalid
from ..extensions import db
from ..pagination import paginate, search_arg
from ..states import DrawKind
from ..textutil import join_list, split_list
from ..toggle import switch_active
from . import services
from .forms import ExpertForm, NewExpertForm
from .models import Expert

bp = Blueprint("experts", __name__)


@bp.get("/experts")
@login_required
def index():
    q = search_arg()
    query = sa.select(Expert).order_by(Expert.code)
    if q:
        query = query.where(sa.or_(Expert.name.contains(q, autoescape=True), Expert.employer.contains(q, autoescape=True),
                                   Expert.code == q.upper()))
    page = paginate(query, request.args.get("page", 1, type=int))
    return render_template("experts/index.html", page=page, q=q)


def _editable(expert_id: int) -> Expert:
    expert = db.get_or_404(Expert, expert_id)
    if not expert.may_be_edited_by(current_user):
        abort(403)
    return expert


def _departments() -> list[Department]:
    """The departments an expert may be put in by this user: any for the office; none to choose for an admin."""
    if not current_user.is_office:
        return []
    return db.session.scalars(sa.select(Department).where(Department.active).order_by(Department.id)).all()


def _chosen_department(departments: list[Department], default: int | None) -> int | None:
    """The office's choice among the departments (blank: outside them); anybody else keeps `default`."""
    if not current_user.is_office or request.method != "POST":
        return default
    chosen = request.form.get("department_id", type=int)
    return chosen if chosen is None or chosen in {d.id for d in departments} else default


def _saved(form, expert: Expert | None, departments, department_id, save, done: str):
    """The form page, or `save()` by the import's rules: its reasons in the page, or back to the pool."""
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            saved = save()
        except RowInvalid as invalid:
            db.session.rollback()
            errors = invalid.reasons
        else:
            db.session.commit()
            flash(f"专家{saved.name}（{saved.code}）{done}", "success")
            return redirect(url_for("experts.index", q=saved.code))
    return render_template("experts/form.html", form=form, expert=expert, errors=errors, departments=departments,
                           department_id=department_id)


@bp.route("/experts/new", methods=["GET", "POST"])
@roles_required("office", "admin")
def new():
    form = NewExpertForm()
    departments = _departments()
    department_id = _chosen_department(departments, None if current_user.is_office else current_user.department_id)
    return _saved(form, None, departments, department_id,
                  lambda: services.create_expert(form.row(), department_id, current_user), "已加入专家库")


@bp.route("/experts/<int:expert_id>/edit", methods=["GET", "POST"])
@roles_required("office", "admin")
def edit(expert_id):
    expert = _editable(expert_id)
    data = None
    if request.method == "GET":
        data = {"name": expert.name, "employer": expert.employer, "specialties": join_list(expert.specialties or []),
                "phone": expert.phone, "conflicts": join_list(expert.conflicts or [])}
    form = ExpertForm(data=data)
    departments = _departments()
    department_id = _chosen_department(departments, expert.department_id)
    return _saved(form, expert, departments, department_id,
                  lambda: services.save_expert(expert, form.row(), department_id, current_user), "已保存")


@bp.post("/experts/<int:expert_id>/active")
@roles_required("office", "admin")
def active(expert_id):
    expert = _editable(expert_id)
    return switch_active(expert, f"专家{expert.name}", "恢复在库", "停用（不再参与抽取，已抽中的不受影响）",
                         url_for("experts.index", q=request.args.get("q") or None, page=request.args.get("page") or None))


@bp.get("/campaigns/<int:campaign_id>/experts")
@login_required
def campaign(campaign_id):
    campaign = _campaign(campaign_id)
    draws = db.session.scalars(sa.select(Draw).where(Draw.campaign_id == campaign.id, Draw.kind == DrawKind.EXPERTS)
                               .order_by(Draw.id)).all()
    experts = services.pool()
    waiting = [(cs, *services.candidates(cs, experts)) for cs in services.needing(campaign)]
    drawn = [cs for cs in campaign.subjects if cs.expert_assignments]
    open_round = next((r for r in rounds.open_rounds(campaign.id) if r.kind == DrawKind.EXPERTS), None)
    return render_template("experts/campaign.html", campaign=campaign, draws=draws, waiting=waiting, drawn=drawn,
                           short=services.short, open_round=open_round, seeding=campaign_seeding(campaign),
                           may_draw=current_user.is_office and campaign.status in services.STATUSES)


@bp.post("/campaigns/<int:campaign_id>/experts")
@roles_required("office")
def set_industries(campaign_id):
    campaign = _campaign(campaign_id)
    try:
        services.set_industries(campaign, split_list(request.form.get("industries", "")))
    except CampaignError as problem:
        db.session.rollback()
        flash(str(problem), "error")
    else:
        db.session.commit()
        flash("需要专家随同检查的行业已保存：" + ("、".join(campaign.expert_industries) or "无"), "success")
    return redirect(url_for("experts.campaign", campaign_id=campaign.id))
