"""Pages of the annual plans: the year's plans, a plan's tasks, the plan table."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import once
from ..access import login_required, roles_required
from ..auth.models import Department
from ..excel.writer import send_workbook
from ..extensions import db
from ..forms import choices
from ..timeutil import now
from . import services
from .forms import PlanForm, PlanTaskForm
from .models import Plan, PlanTask

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
    return render_template("plans/index.html", plans=plans, year=year, years=years, form=form,
                           next_number=services.next_number(year))


@bp.post("/new")
@roles_required("office")
def create():
    form = PlanForm()
    form.department_id.choices = _department_choices()
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("plans.index"))
    if not once.spend_form("plan"):
        return once.repeated(url_for("plans.index"))
    plan = services.create_plan(form.year.data, db.session.get(Department, form.department_id.data),
                                current_app.config["COUNTY_NAME"])
    db.session.commit()
    flash(f"年度抽查计划 {plan.number} 已建立，请添加抽查任务", "success")
    return redirect(url_for("plans.detail", plan_id=plan.id))


def _task_form(plan: Plan, task: PlanTask | None = None) -> PlanTaskForm:
    form = PlanTaskForm(obj=task) if task is not None and request.method == "GET" else PlanTaskForm()
    form.joint_department_ids.choices = _department_choices()
    form.item_ids.choices = choices(services.item_choices(plan))
    if task is not None and request.method == "GET":
        form.joint_department_ids.data = list(task.joint_departments)
        form.item_ids.data = services.chosen_items(task)
    return form


@bp.route("/<int:plan_id>", methods=["GET", "POST"])
@login_required
def detail(plan_id):
    plan = db.get_or_404(Plan, plan_id)
    form = _task_form(plan)
    if request.method == "POST":
        if not current_user.is_office:
            abort(403)
        if form.validate_on_submit():
            if not once.spend_form("plan_task"):
                return once.repeated(url_for("plans.detail", plan_id=plan.id))
            services.add_task(plan, form.values(), form.joint_department_ids.data, form.item_ids.data)
            db.session.commit()
            flash("抽查任务已添加", "success")
            return redirect(url_for("plans.detail", plan_id=plan.id))
    names = dict(db.session.execute(sa.select(Department.id, Department.name)).all())
    return render_template("plans/detail.html", plan=plan, form=form, names=names, month_label=services.month_label,
                           example_year=plan.year)


def _task(plan_id: int, task_id: int) -> tuple[Plan, PlanTask]:
    plan = db.get_or_404(Plan, plan_id)
    task = db.get_or_404(PlanTask, task_id)
    if task.plan_id != plan.id:
        abort(404)
    return plan, task


@bp.route("/<int:plan_id>/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@roles_required("office")
def edit_task(plan_id, task_id):
    plan, task = _task(plan_id, task_id)
    form = _task_form(plan, task)
    if form.validate_on_submit():
        services.update_task(task, form.values(), form.joint_department_ids.data, form.item_ids.data)
        db.session.commit()
        flash(f"抽查任务{task.number}已修改", "success")
        return redirect(url_for("plans.detail", plan_id=plan.id))
    return render_template("plans/task_form.html", plan=plan, task=task, form=form, example_year=plan.year)


@bp.post("/<int:plan_id>/tasks/<int:task_id>/delete")
@roles_required("office")
def delete_task(plan_id, task_id):
    plan, task = _task(plan_id, task_id)
    number = task.number
    try:
        services.delete_task(task)
        db.session.commit()
    except services.PlanError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(f"抽查任务{number}已删除", "success")
    return redirect(url_for("plans.detail", plan_id=plan.id))


@bp.get("/export")
@login_required
def export():
    year = request.args.get("year", type=int) or now().year
    return send_workbook(lambda target: services.write_plan(target, year, current_app.config["COUNTY_NAME"]),
                         f"{year}年度随机抽查工作计划")
