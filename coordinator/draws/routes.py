"""Pages of a seed round: its commitments and reveals for everyone taking part, and each party's own step."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..access import login_required, roles_required
from ..campaigns.models import Campaign
from ..campaigns.routes import _campaign
from ..campaigns.services import CampaignError
from ..campaigns.staffing import staffing_message
from ..extensions import db
from ..timeutil import now
from . import services
from .forms import CommitForm, FallbackForm, OpenRoundForm, RevealForm, RunForm, SwitchForm
from .models import SeedRound

bp = Blueprint("draws", __name__, url_prefix="/campaigns")


def _runner(campaign_id: int) -> Campaign:
    """The campaign, if the user runs its draws (the office; a department's admin for its own internal or
    special inspection: Campaign.may_run), else 403."""
    campaign = _campaign(campaign_id)
    if not campaign.may_run(current_user):
        abort(403)
    return campaign


def _round(campaign_id: int, round_id: int, *, running: bool = False) -> tuple[Campaign, SeedRound]:
    campaign = _runner(campaign_id) if running else _campaign(campaign_id)
    round_ = db.get_or_404(SeedRound, round_id)
    if round_.campaign_id != campaign.id:
        abort(404)
    return campaign, round_


def _step(round_: SeedRound | None, campaign: Campaign, action, success):
    """Run a step; commit on success, report the Chinese reason on refusal, and show the round. `success` is
    the message, or a function giving (message, category) once the step is committed."""
    try:
        outcome = action()
        db.session.commit()
    except CampaignError as error:
        db.session.rollback()
        flash(str(error), "error")
    except PermissionError:
        db.session.rollback()
        abort(403)
    except (sa.exc.IntegrityError, sa.exc.OperationalError):
        db.session.rollback()
        flash("这一步刚刚已由其他人完成或正在进行，请刷新后查看，以已保存的结果为准", "warning")
    else:
        flash(*(success() if callable(success) else (success, "success")))
        round_ = outcome if isinstance(outcome, SeedRound) else round_
    if round_ is None or round_.id is None:
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return redirect(url_for("draws.show", campaign_id=campaign.id, round_id=round_.id))


@bp.get("/<int:campaign_id>/rounds/<int:round_id>")
@login_required
def show(campaign_id, round_id):
    campaign, round_ = _round(campaign_id, round_id)
    mine = [c for c in round_.contributions if round_.may_act(c, current_user)]
    return render_template("draws/round.html", campaign=campaign, round=round_, mine=mine, now=now(),
                           commit_form=CommitForm(), reveal_form=RevealForm(), run_form=RunForm(),
                           switch_form=SwitchForm())


def _opening(campaign_id: int, form_class, open_, success: str):
    """Open a round (or its fallback) for the kind of draw and the enterprise or seat the form names."""
    campaign = _runner(campaign_id)
    form = form_class()
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    target = {"target_id": form.target_id.data, "reason": form.reason.data or "",
              "allow_overdue": form.allow_overdue.data}
    return _step(None, campaign, lambda: open_(campaign, form, target), success)


@bp.post("/<int:campaign_id>/rounds")
@roles_required("office", "admin")
def open_round(campaign_id):
    return _opening(campaign_id, OpenRoundForm, lambda campaign, form, target: services.open_round(
        campaign, form.kind.data, current_user, commit_deadline=form.commit_deadline.data,
        reveal_hours=form.reveal_hours.data, witness=form.witness.data or "", with_office=form.with_office.data,
        **target),
        "已开始征集随机数承诺：请本页列出的各参与方在截止时间前生成随机值并提交承诺")


@bp.post("/<int:campaign_id>/rounds/fallback")
@roles_required("office", "admin")
def fallback(campaign_id):
    return _opening(campaign_id, FallbackForm, lambda campaign, form, target: services.open_fallback(
        campaign, form.kind.data, current_user, fallback_reason=form.fallback_reason.data, witness=form.witness.data,
        **target),
        "输入已锁定，哈希值已公布（备用方式，原因已记录）；请由见证人报出随机种子")


def _party_step(campaign_id: int, round_id: int, form_class, action, success: str):
    """A contributor's own step (commit or reveal): the form is checked, the service checks who may act for which
    party (another department's slot answers 403)."""
    campaign, round_ = _round(campaign_id, round_id)
    form = form_class()
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("draws.show", campaign_id=campaign.id, round_id=round_.id))
    return _step(round_, campaign, lambda: action(round_, form), success)


@bp.post("/<int:campaign_id>/rounds/<int:round_id>/commit")
@roles_required("office", "admin")
def commit(campaign_id, round_id):
    return _party_step(campaign_id, round_id, CommitForm,
                       lambda r, form: services.commit(r, form.slot.data, form.commitment.data, current_user),
                       "承诺已提交。请妥善保存随机值，输入锁定后回到本页揭示")


@bp.post("/<int:campaign_id>/rounds/<int:round_id>/reveal")
@roles_required("office", "admin")
def reveal(campaign_id, round_id):
    return _party_step(campaign_id, round_id, RevealForm,
                       lambda r, form: services.reveal(r, form.slot.data, form.value.data, current_user),
                       "随机值已揭示，与承诺一致")


@bp.post("/<int:campaign_id>/rounds/<int:round_id>/close")
@roles_required("office", "admin")
def close(campaign_id, round_id):
    campaign, round_ = _round(campaign_id, round_id, running=True)
    return _step(round_, campaign, lambda: services.close(round_, current_user),
                 "承诺已截止，输入已锁定并公布哈希值；请各参与方揭示随机值")


@bp.post("/<int:campaign_id>/rounds/<int:round_id>/fallback")
@roles_required("office", "admin")
def fall_back(campaign_id, round_id):
    campaign, round_ = _round(campaign_id, round_id, running=True)
    form = SwitchForm()
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("draws.show", campaign_id=campaign.id, round_id=round_.id))
    return _step(round_, campaign, lambda: services.fall_back(round_, current_user, fallback_reason=form.fallback_reason.data,
                                                              witness=form.witness.data),
                 "已改用备用方式（原因已记录），输入已锁定；请由见证人报出随机种子")


@bp.post("/<int:campaign_id>/rounds/<int:round_id>/run")
@roles_required("office", "admin")
def run(campaign_id, round_id):
    campaign, round_ = _round(campaign_id, round_id, running=True)
    form = RunForm()
    if not form.validate_on_submit():
        flash("随机种子不能超过200个字符", "error")
        return redirect(url_for("draws.show", campaign_id=campaign.id, round_id=round_.id))
    done = "已按公布的规则算出随机种子并完成抽取"
    if round_.kind in ("teams", "restaff"):  # say how many are staffed, not just that the draw ran
        return _step(round_, campaign, lambda: services.run_round(round_, current_user, form.seed.data or ""),
                     lambda: staffing_message(campaign, done))
    return _step(round_, campaign, lambda: services.run_round(round_, current_user, form.seed.data or ""), done)

