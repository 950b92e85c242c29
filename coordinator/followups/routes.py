"""Follow-ups to closure: the department's list (what it owes, overdue, transfers received) and each one's steps."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import login_required, own_department_id
from ..auth.models import Department
from ..extensions import db
from ..forms import posted_date
from ..pagination import paginate
from ..states import CaseOutcome, FollowUpKind, FollowUpStatus
from ..timeutil import today
from . import services
from .models import RULES, FollowUp

bp = Blueprint("followups", __name__, url_prefix="/follow-ups")


def _follow_up(follow_up_id: int) -> FollowUp:
    follow_up = db.get_or_404(FollowUp, follow_up_id)
    if not follow_up.can_be_read_by(current_user):
        abort(403)
    return follow_up


@bp.get("/")
@login_required
def index():
    kind = FollowUpKind.from_label(request.args.get("kind", ""))
    status = FollowUpStatus.from_label(request.args.get("status", ""))
    view = request.args.get("view", "owed")  # owed | overdue | incoming | all
    department_id = own_department_id() or request.args.get("department", type=int)
    query = services.listing(department_id, kind=kind, status=status, owed=view == "owed",
                             overdue=view == "overdue", incoming=view == "incoming")
    page = paginate(query, request.args.get("page", 1, type=int))
    return render_template("followups/index.html", page=page, kind=kind, status=status, view=view,
                           kinds=FollowUpKind, statuses=FollowUpStatus, today=today(),
                           department=db.session.get(Department, department_id) if department_id else None)


@bp.get("/<int:follow_up_id>")
@login_required
def detail(follow_up_id):
    follow_up = _follow_up(follow_up_id)
    return render_template("followups/detail.html", f=follow_up, record=follow_up.department_result.record,
                           today=today(), outcomes=CaseOutcome, rules=RULES)


def _date(name: str) -> date | None:
    return posted_date(name, services.FollowUpError)


def _choice(name: str) -> bool | None:
    value = request.form.get(name, "")
    return {"1": True, "0": False}.get(value)


@bp.post("/<int:follow_up_id>")
@login_required
def advance(follow_up_id):
    """Take the next step the form names (report, recheck, file, decide, answer, conclude, list, remove, …)."""
    follow_up = _follow_up(follow_up_id)
    step = request.form.get("step", "")
    if not follow_up.can_be_advanced_by(current_user):
        abort(403)
    try:
        given = services.StepInput(
            on=_date("on"), passed=_choice("passed"), rectify_by=_date("rectify_by"),
            case_number=request.form.get("case_number", "")[:64], outcome=request.form.get("outcome", ""),
            penalty=request.form.get("penalty", "")[:30], accept=_choice("accept"),
            reason=request.form.get("reason", "")[:500], note=request.form.get("note", "")[:1000])
        message = services.advance(follow_up, step, given)
    except services.FollowUpError as problem:
        db.session.rollback()
        flash(str(problem), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("followups.detail", follow_up_id=follow_up.id))
