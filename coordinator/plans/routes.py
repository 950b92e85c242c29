"""Pages of the annual plans: the year's plans, a plan's tasks, the plan table."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import once
from ..access import ANY_ROLE, login_required, roles_required
from ..auth.models import Department
from ..directories.models import Subject
from ..excel.writer import send_workbook
from ..extensions import db
from ..forms import choices
from ..states import CampaignKind, MonthlyPlanStatus
from ..timeutil import now, today
from . import monthly, services
from .forms import MonthlyAddForm, MonthlyConfirmForm, PlanForm, PlanTaskForm
from .models import MonthlyPlan, MonthlyPlanEntry, Plan, PlanTask

bp = Blueprint("plans", __name__, url_prefix="/plans")


def _department_choices():
    return choices((d.id, d.name) for d in db.session.scalars(sa.select(Department).where(Department.active)
                                                               .order_by(Department.id)))


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
        form.joint_department_ids.data = list(task.joint_department_ids)
        form.item_ids.data = services.chosen_items(task)
    return form


@bp.route("/<int:plan_id>", methods=["GET", "POST"])
@roles_required(*ANY_ROLE, post=("office",))  # every account reads the plan; the office adds its tasks
def detail(plan_id):
    plan = db.get_or_404(Plan, plan_id)
    form = _task_form(plan)
    if form.validate_on_submit():
        if not once.spend_form("plan_task"):
            return once.repeated(url_for("plans.detail", plan_id=plan.id))
        services.add_task(plan, form.values(), form.joint_department_ids.data, form.item_ids.data,
                          user=current_user, reason=form.reason.data or "")
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
        try:
            services.update_task(task, form.values(), form.joint_department_ids.data, form.item_ids.data,
                                 user=current_user, reason=form.reason.data or "")
        except services.PlanError as error:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, str(error)]
        else:
            db.session.commit()
            flash(f"抽查任务{task.number}已调整，调整原因和调整前的内容已记录并向社会公开", "success")
            return redirect(url_for("plans.detail", plan_id=plan.id))
    return render_template("plans/task_form.html", plan=plan, task=task, form=form, example_year=plan.year)


@bp.post("/<int:plan_id>/tasks/<int:task_id>/delete")
@roles_required("office")
def delete_task(plan_id, task_id):
    plan, task = _task(plan_id, task_id)
    number = task.number
    try:
        services.delete_task(task, user=current_user, reason=request.form.get("reason", ""))
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


# ---- monthly plans (月抽查计划, seed 000) ----------------------------------------------------------------------


def _monthly(monthly_id: int, *, editing: bool = False) -> MonthlyPlan:
    plan = db.get_or_404(MonthlyPlan, monthly_id)
    if not plan.may_read(current_user) or (editing and current_user.department_id != plan.department_id):
        abort(403)
    return plan


def _monthly_step(plan: MonthlyPlan, action, message: str):
    try:
        action()
        db.session.commit()
    except monthly.MonthlyPlanError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(message, "success")
    return redirect(url_for("plans.monthly_detail", monthly_id=plan.id))


@bp.get("/monthly")
@login_required
def monthly_index():
    query = sa.select(MonthlyPlan).order_by(MonthlyPlan.month.desc(), MonthlyPlan.department_id)
    if not current_user.is_office:
        query = query.where(MonthlyPlan.department_id == current_user.department_id)
    plans = db.session.scalars(query.limit(200)).all()
    day = today()
    month = monthly.asking_month(day) or monthly.next_month(day)
    own = next((p for p in plans if p.month == month and p.department_id == current_user.department_id), None)
    return render_template("plans/monthly_index.html", plans=plans, month=month, own=own,
                           asking=monthly.asking_month(day), window=monthly.last_working_days(day),
                           month_label=monthly.month_label)


@bp.post("/monthly/new")
@roles_required("admin")
def monthly_create():
    month = monthly.asking_month(today()) or monthly.next_month(today())
    department = db.session.get(Department, current_user.department_id)
    try:
        plan = monthly.propose(department, month, current_user)
        db.session.commit()
    except monthly.MonthlyPlanError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("plans.monthly_index"))
    flash(f"已生成{monthly.month_label(month)}的月抽查计划（{len(plan.entries)}户），请核对、调整后确认", "success")
    return redirect(url_for("plans.monthly_detail", monthly_id=plan.id))


@bp.get("/monthly/<int:monthly_id>")
@login_required
def monthly_detail(monthly_id):
    plan = _monthly(monthly_id)
    tasks = sorted(db.session.scalars(sa.select(PlanTask).where(PlanTask.id.in_(plan.tasks or [-1]))),
                   key=lambda task: plan.tasks.index(task.id))  # in the plan's order
    return render_template("plans/monthly_detail.html", plan=plan, tasks=tasks, add_form=MonthlyAddForm(),
                           confirm_form=MonthlyConfirmForm(note=plan.note), month_label=monthly.month_label,
                           draw=monthly.draw_summary(plan))


@bp.post("/monthly/<int:monthly_id>/repropose")
@roles_required("admin")
def monthly_repropose(monthly_id):
    plan = _monthly(monthly_id, editing=True)
    return _monthly_step(plan, lambda: monthly.repropose(plan, current_user),
                         "已用新的随机种子重新生成本计划（本部门增加的检查对象保留），本次生成已记入操作日志")


@bp.get("/monthly/<int:monthly_id>/draw.json")
@login_required
def monthly_draw_json(monthly_id):
    """The draw's input with its seed: `python -m solver draw` on this file gives the plan's drawn list again."""
    plan = _monthly(monthly_id)
    problem = monthly.draw_input(plan)
    if problem is None:
        abort(404)
    return current_app.response_class(json.dumps(problem, ensure_ascii=False, indent=1), mimetype="application/json",
                                      headers={"Content-Disposition": f"attachment; filename=monthly-plan-{plan.id}-input.json"})


@bp.post("/monthly/<int:monthly_id>/entries")
@roles_required("admin")
def monthly_add(monthly_id):
    plan = _monthly(monthly_id, editing=True)
    form = MonthlyAddForm()
    subject = db.session.scalar(sa.select(Subject).where(Subject.credit_code == (form.credit_code.data or "").strip()
                                                         .upper())) if form.validate_on_submit() else None
    if subject is None:
        flash("名录库中没有这个统一社会信用代码", "error")
        return redirect(url_for("plans.monthly_detail", monthly_id=plan.id))
    return _monthly_step(plan, lambda: monthly.add_subject(plan, subject, current_user), f"已加入“{subject.name}”")


@bp.post("/monthly/<int:monthly_id>/entries/<int:entry_id>/delete")
@roles_required("admin")
def monthly_remove(monthly_id, entry_id):
    plan = _monthly(monthly_id, editing=True)
    entry = db.get_or_404(MonthlyPlanEntry, entry_id)
    if entry.monthly_plan_id != plan.id:
        abort(404)
    name = entry.subject.name
    return _monthly_step(plan, lambda: monthly.remove_entry(plan, entry, current_user), f"已移出“{name}”")


@bp.post("/monthly/<int:monthly_id>/confirm")
@roles_required("admin")
def monthly_confirm(monthly_id):
    plan = _monthly(monthly_id, editing=True)
    form = MonthlyConfirmForm()
    if not form.validate_on_submit():
        flash("说明太长", "error")
        return redirect(url_for("plans.monthly_detail", monthly_id=plan.id))
    return _monthly_step(plan, lambda: monthly.confirm(plan, form.note.data or "", current_user),
                         f"{monthly.month_label(plan.month)}的月抽查计划已确认（{len(plan.entries)}户）")


@bp.get("/monthly/<int:monthly_id>.xlsx")
@login_required
def monthly_xlsx(monthly_id):
    plan = _monthly(monthly_id)
    county = current_app.config["COUNTY_NAME"]
    return send_workbook(lambda target: monthly.write_monthly_plan(target, plan, county),
                         f"{plan.department.name}{monthly.month_label(plan.month)}抽查计划")


@bp.post("/monthly/<int:monthly_id>/campaign")
@roles_required("admin")
def monthly_campaign(monthly_id):
    """The department's internal random inspection of the month, made from its confirmed plan."""
    from ..campaigns import services as campaigns  # campaigns sit above plans
    plan = _monthly(monthly_id, editing=True)
    if plan.status != MonthlyPlanStatus.CONFIRMED or plan.campaign_id is not None:
        flash("只有已确认、尚未创建抽查的月计划可以创建抽查", "error")
        return redirect(url_for("plans.monthly_detail", monthly_id=plan.id))
    values = monthly.campaign_values(plan, current_app.config["COUNTY_NAME"])
    campaign = campaigns.create_campaign({**values, "kind": CampaignKind.INTERNAL}, plan.department, [], current_user)
    db.session.flush()
    plan.campaign_id = campaign.id
    db.session.commit()
    flash(f"已按月抽查计划创建内部随机抽查“{campaign.name}”：请提交本部门抽查事项，再抽取（计划中的{len(plan.entries)}户全部列入）",
          "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
