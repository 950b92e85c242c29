"""The lead department's page of visit dates: agree each, or move it inside the window."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..access import roles_required
from ..campaigns.models import Campaign, CampaignSubject
from ..extensions import db
from ..pagination import paginate, search_arg
from ..timeutil import today
from . import services

bp = Blueprint("visits", __name__, url_prefix="/campaigns/<int:campaign_id>/visits")


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.get_or_404(Campaign, campaign_id)
    if not campaign.may_schedule(current_user):
        abort(403)
    return campaign


def _back(campaign: Campaign, message: str, category: str = "success", anchor: str = ""):
    flash(message, category)
    kept = {key: request.args[key] for key in ("todo", "q", "page") if request.args.get(key)}
    return redirect(url_for("visits.index", campaign_id=campaign.id, **kept) + anchor)


@bp.get("")
@roles_required("office", "admin")
def index(campaign_id):
    campaign = _campaign(campaign_id)
    waiting = services.waiting_count(campaign)
    todo = request.args.get("todo") or ("agree" if waiting else "all")  # what is left to do comes first
    search = search_arg()
    query = services.visit_query(campaign, waiting_only=todo == "agree", search=search)
    query = query.options(selectinload(CampaignSubject.record))
    page = paginate(query, request.args.get("page", 1, type=int))
    if not page.items and page.page > 1:  # the last one of the last page was just agreed: show the page before
        page = paginate(query, page.pages)
    return render_template("visits/index.html", campaign=campaign, page=page, rows=page.items, todo=todo == "agree",
                           q=search, today=today(), schedulable=services.schedulable, waiting=waiting)


@bp.post("/<int:cs_id>")
@roles_required("office", "admin")
def set_visit(campaign_id, cs_id):
    campaign = _campaign(campaign_id)
    cs = db.get_or_404(CampaignSubject, cs_id)
    if cs.campaign_id != campaign.id:
        abort(404)
    text = request.form.get("visit_date", "").strip()
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        return _back(campaign, f"日期“{text[:20]}”格式不正确，应为 2024-06-30", "error", f"#visit-{cs.id}")
    try:
        moved = services.set_visit(cs, day, current_user)
    except services.VisitError as problem:
        db.session.rollback()
        return _back(campaign, f"{cs.subject.name}：{problem}", "error", f"#visit-{cs.id}")
    db.session.commit()
    done = "改为" if moved else "确认为"
    return _back(campaign, f"{cs.subject.name}：检查日期已{done}{day:%Y-%m-%d}，检查组成员的任务清单已更新")


@bp.post("/agree-all")
@roles_required("office", "admin")
def agree_all(campaign_id):
    """Agree every planned date that still suits its team; the others stay for one by one."""
    campaign = _campaign(campaign_id)
    agreed, left = 0, []
    for cs in services.to_agree(campaign):
        try:
            services.set_visit(cs, cs.visit_date, current_user)
            agreed += 1
        except services.VisitError:
            left.append(cs.subject.name)
    db.session.commit()
    message = f"已确认{agreed}户的检查日期"
    if left:
        message += f"；{len(left)}户的计划日期已不合适，请逐户调整：{'、'.join(left[:10])}{'等' if len(left) > 10 else ''}"
    return _back(campaign, message, "warning" if left else "success")
