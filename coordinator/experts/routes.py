"""The expert pool, and a campaign's experts: which industries need one, who was drawn for which enterprise."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import login_required, roles_required
from ..campaigns.models import Draw
from ..campaigns.routes import _campaign
from ..campaigns.services import CampaignError
from ..draws import services as rounds
from ..draws.forms import campaign_seeding
from ..extensions import db
from ..pagination import paginate, search_arg
from ..states import DrawKind
from ..textutil import split_list
from . import services
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
