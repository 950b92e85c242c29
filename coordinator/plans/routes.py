"""Pages of the annual plans: the year's plans, a plan's tasks, the plan table."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import login_required, roles_required
from ..auth.models import Department
from ..excel.writer import send_workbook
from ..extensions import db
from ..forms import choices
from ..timeutil import now
from . import services
from .forms import PlanForm, PlanTaskForm
from .models import Plan

bp = Blueprint("plans", __name__, url_prefix="/plans")


def _department_choices():
    return choices((d.id, d.name) for d in db.session.scalars(sa.select(Department).where(Department.active)))


@bp.get("/")
@login_required
def index():
    years = sorted(set(db.session.scalars(sa.select(Plan.year))) | {now().year}, reverse=True)
    year = request.args.get("year", type=int) or years[0]
    plans = db.session.scalars(sa.select(Plan).where(Plan.year == year).order_by(Plan.number)).all()
    form = PlanForm(year=year)
    form.department_id.choices = _department_choices()
    return render_template("plans/index.html", plans=plans, year=year, years=years, form=form)


@bp.post("/new")
@roles_required("office")
def create():
    form = PlanForm()
    form.department_id.choices = _department_choices()
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("plans.index"))
    plan = services.create_plan(form.year.data, db.session.get(Department, form.department_id.data),
                                current_app.config["COUNTY_NAME"])
    db.session.commit()
    flash(f"年度抽查计划 {plan.number} 已建立，请添加抽查任务", "success")
    return redirect(url_for("plans.detail", plan_id=plan.id))


@bp.route("/<int:plan_id>", methods=["GET", "POST"])
@login_required
def detail(plan_id):
    plan = db.get_or_404(Plan, plan_id)
    form = PlanTaskForm()
    form.joint_department_ids.choices = _department_choices()
    if request.method == "POST":
        if not current_user.is_office:
            abort(403)
        if form.validate_on_submit():
            services.add_task(plan, form.values(), form.joint_department_ids.data)
            db.session.commit()
            flash("抽查任务已添加", "success")
            return redirect(url_for("plans.detail", plan_id=plan.id))
    names = dict(db.session.execute(sa.select(Department.id, Department.name)).all())
    return render_template("plans/detail.html", plan=plan, form=form, names=names, month_label=services.month_label)


@bp.get("/export")
@login_required
def export():
    year = request.args.get("year", type=int) or now().year
    return send_workbook(lambda target: services.write_plan(target, year, current_app.config["COUNTY_NAME"]),
                         f"{year}年度随机抽查工作计划")
