"""Pages of the coverage duties: the coverage page per department and period, its export, the office's rules."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from .. import once
from ..access import ANY_ROLE, login_required, own_department_id, roles_required
from ..auth.models import Department
from ..excel.writer import send_workbook
from ..extensions import db
from ..forms import choices
from ..timeutil import today
from . import services
from .forms import RuleForm
from .models import CoverageRule

bp = Blueprint("coverage", __name__, url_prefix="/coverage")
PERIODS = {"": "全年", "h1": "上半年", "h2": "下半年"}
DUE_SHOWN = 200


def _filters() -> tuple[int, int | None, str]:
    """Year, department (forced to the user's own unless office) and period from the query string."""
    year = request.args.get("year", type=int) or today().year
    if not 2000 <= year <= 2100:
        abort(404)
    department_id = own_department_id()
    if department_id is None:
        department_id = request.args.get("department", type=int)
    elif request.args.get("department", type=int) not in (None, department_id):
        abort(403)
    period = request.args.get("period", "")
    return year, department_id, period if period in PERIODS else ""


def _departments():
    return list(db.session.scalars(sa.select(Department).where(Department.active).order_by(Department.id)))


@bp.get("/")
@login_required
def index():
    year, department_id, period = _filters()
    rows = services.report(year, department_id, period=period)
    shown = request.args.get("show", "")
    due = services.due_lists([row for row in rows if row.key == shown], DUE_SHOWN)
    return render_template("coverage/index.html", rows=rows, due=due, year=year, department_id=department_id,
                           period=period, periods=PERIODS, departments=_departments(), due_shown=DUE_SHOWN,
                           years=services.years_inspected(department_id or own_department_id()))


@bp.get("/export")
@login_required
def export():
    year, department_id, period = _filters()
    return send_workbook(lambda target: services.write_workbook(target, year, department_id, period=period),
                         f"{year}年度抽查覆盖情况")


def _rule_form(rule: CoverageRule | None = None) -> RuleForm:
    form = RuleForm()
    form.department_id.choices = choices((d.id, d.name) for d in _departments())
    if rule is not None and request.method == "GET":
        form.fill(rule)
    return form


@bp.route("/rules", methods=["GET", "POST"])
@roles_required(*ANY_ROLE, post=("office",))  # every account reads the rules; the office sets them
def rules():
    form = _rule_form()
    if form.validate_on_submit():
        if not once.spend_form("coverage_rule"):
            return once.repeated(url_for("coverage.rules"))
        services.save_rule(CoverageRule(), form.values())
        db.session.commit()
        flash("覆盖规则已添加", "success")
        return redirect(url_for("coverage.rules"))
    return render_template("coverage/rules.html", rules=services.rules(own_department_id(), active_only=False),
                           form=form)


@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@roles_required("office")
def edit_rule(rule_id):
    rule = db.get_or_404(CoverageRule, rule_id)
    form = _rule_form(rule)
    if request.method == "POST" and form.validate_on_submit():
        services.save_rule(rule, form.values())
        db.session.commit()
        flash("覆盖规则已保存", "success")
        return redirect(url_for("coverage.rules"))
    return render_template("coverage/rule_edit.html", rule=rule, form=form)


@bp.post("/rules/defaults")
@roles_required("office")
def load_defaults():
    added = services.load_defaults()
    db.session.commit()
    flash(f"已载入 {len(added)} 条默认覆盖规则" if added else "有关部门已有覆盖规则，未重复载入", "success")
    return redirect(url_for("coverage.rules"))
