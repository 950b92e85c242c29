"""Pages of the joint campaign, from items to dispatch."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from .. import once
from ..access import ANY_ROLE, login_required, may, own_department_id, roles_required
from ..auth.models import Department
from ..coverage import services as coverage_services
from ..directories.services import filter_options
from ..draws import services as seed_rounds
from ..draws.forms import campaign_seeding
from ..excel.writer import send_workbook
from ..extensions import db
from ..forms import choices
from ..pagination import paginate
from ..plans.models import Plan, PlanTask
from ..states import CampaignKind, CampaignStatus, Decision, DrawnStatus
from ..textutil import join_list
from ..timeutil import today
from ..uploads import attachment_folder
from . import rules, services, sheets, staffing
from .forms import CampaignForm, ItemsForm, ReasonForm, RecuseForm, StaffingForm
from .models import Campaign, CampaignSubject, Draw, TeamMember

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

def _campaign(campaign_id: int) -> Campaign:
    """The campaign, if the user's department takes part in it (the office sees all)."""
    campaign = db.get_or_404(Campaign, campaign_id)
    if not current_user.is_office and campaign.campaign_department(current_user.department_id) is None:
        abort(403)
    return campaign


def _runner(campaign_id: int) -> Campaign:
    """The campaign, if the user runs its draws and dispatch (Campaign.may_run), else 403."""
    campaign = _campaign(campaign_id)
    if not campaign.may_run(current_user):
        abort(403)
    return campaign


def _done(message: str, campaign: Campaign, category: str = "success"):
    flash(message, category)
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


def _attempt(campaign: Campaign, action, success):
    """Run a workflow step; commit on success, report the Chinese reason on refusal. `success` is the message,
    or a function giving (message, category) once the step is committed."""
    try:
        action()
        db.session.commit()
    except services.CampaignError as error:
        db.session.rollback()
        return _done(str(error), campaign, "error")
    except (sa.exc.IntegrityError, sa.exc.OperationalError):
        # A colleague's identical step got there first (one draw of a kind), or holds the database right now.
        db.session.rollback()
        return _done("这一步刚刚已由其他人完成或正在进行，请刷新后查看，以已保存的结果为准", campaign, "warning")
    return _done(*success()) if callable(success) else _done(success, campaign)


# ---- list, create, overview ---------------------------------------------------------------------


@bp.get("/")
@login_required
def index():
    page = paginate(services.campaigns_query(current_user), request.args.get("page", 1, type=int))
    return render_template("campaigns/index.html", page=page)


def _fill_choices(form: CampaignForm) -> None:
    departments = db.session.scalars(sa.select(Department).where(Department.active).order_by(Department.id)).all()
    form.lead_department_id.choices = choices((d.id, d.name) for d in departments)
    form.partner_ids.choices = choices((d.id, d.name) for d in departments)
    options = filter_options()
    form.regions.choices = choices((r, r) for r in options["region"])
    form.industries.choices = choices((i, i) for i in options["industry"])
    tasks = db.session.scalars(sa.select(PlanTask).join(Plan).order_by(Plan.number, PlanTask.number, PlanTask.id)).all()
    form.plan_task_id.choices = choices([(0, "（不关联）"), *((t.id, f"{t.plan.number} {t.number} {t.name}")
                                                          for t in tasks)])
    # Seed 000/003 duties: "still due under coverage rule X" as a must-inspect list.
    _fill_must_flags(form, None)


def _fill_must_flags(form: CampaignForm, department_id: int | None) -> None:
    """The must-inspect choices: enterprise attributes, and the coverage rules' still-due lists (a department's
    own inspection: its own rules only; the office: every rule, checked against the campaign's departments)."""
    form.must_flags.choices = choices([*rules.MUST_FLAG_LABELS.items(), *(
        (f"{rules.COVERAGE_FLAG}{r.id}", f"覆盖规则尚未检查的：{r.department.name}·{r.name}")
        for r in coverage_services.rules(department_id))])


def _fill_kind(form: CampaignForm) -> None:
    """A department's administrator creates its own department's internal or special inspections only."""
    if current_user.organises_joint_campaigns:
        return
    own = db.session.get(Department, current_user.department_id)
    form.kind.choices = choices((k.value, k.label) for k in CampaignKind if k is not CampaignKind.JOINT)
    form.lead_department_id.choices = choices([(own.id, own.name)])
    form.lead_department_id.data = own.id  # whatever was posted: its own department
    form.partner_ids.choices, form.partner_ids.data = [], []
    _fill_must_flags(form, own.id)
    if form.kind.data == CampaignKind.JOINT:
        form.kind.data = CampaignKind.INTERNAL.value if request.method == "GET" else form.kind.data


@bp.route("/new", methods=["GET", "POST"])
@roles_required("office", "admin")
def create():
    form = CampaignForm()
    _fill_choices(form)
    _fill_kind(form)
    if request.method == "GET":
        default = "fire" if not current_user.is_office else "joint20"
        preset = rules.STRATA_PRESETS.get(request.args.get("preset", default), rules.STRATA_PRESETS[default])
        form.load_strata(preset["strata"])
        form.must_flags.data = list(rules.DEFAULT_MUST_FLAGS)
        if request.args.get("kind") in CampaignKind.labels():
            form.kind.data = request.args["kind"]
            _fill_kind(form)
    if form.validate_on_submit():
        kind = CampaignKind(form.kind.data)
        lead = db.session.get(Department, form.lead_department_id.data)
        partners = db.session.scalars(sa.select(Department).where(Department.id.in_(form.partner_ids.data))
                                      .order_by(Department.id)).all()
        partners = [p for p in partners if p.id != lead.id]
        scheme = request.files.get(form.scheme_file.name)
        if kind is CampaignKind.JOINT and not partners:
            form.partner_ids.errors.append("部门联合抽查至少需要一个协同部门；本部门自己的抽查请选“内部随机抽查”")
        elif kind is CampaignKind.INTERNAL and partners:
            form.partner_ids.errors.append("内部随机抽查只由本部门实施，不选协同部门；多部门一起请选“部门联合抽查”")
        elif (problem := services.scheme_problem(scheme)) is not None:
            form.scheme_file.errors.append(problem)
        elif (problem := services.foreign_coverage_rules(form.must_flags.data,
                                                         [lead.id, *(p.id for p in partners)])) is not None:
            form.must_flags.errors.append(problem)
        elif not once.spend_form("campaign"):
            return once.repeated(url_for("campaigns.index"))
        else:
            campaign = services.create_campaign(form.values(), lead, partners, current_user)
            if kind is CampaignKind.SPECIAL and scheme and scheme.filename:
                services.attach_scheme(campaign, scheme.filename, scheme.read(), attachment_folder())
            db.session.commit()
            return _done(f"{campaign.kind_label}“{campaign.name}”已创建，请在{campaign.items_deadline}前提交"
                         f"{'各部门的' if campaign.is_joint else '本部门的'}抽查事项", campaign)
    return render_template("campaigns/form.html", form=form, presets=rules.STRATA_PRESETS)


@bp.get("/<int:campaign_id>/scheme")
@login_required
def scheme(campaign_id):
    """The special inspection's plan as filed (专项检查方案附件), for everyone taking part."""
    campaign = _campaign(campaign_id)
    if not campaign.scheme_stored_as:
        abort(404)
    path = attachment_folder() / campaign.scheme_stored_as
    if not path.exists():
        abort(404)
    return send_file(path, download_name=campaign.scheme_filename, as_attachment=True)


@bp.get("/<int:campaign_id>")
@login_required
def detail(campaign_id):
    campaign = _campaign(campaign_id)
    context = {"campaign": campaign, "draws": services.draws_of(campaign), "reason_form": ReasonForm(),
               "seeding": campaign_seeding(campaign), "today": today(),
               "mine": campaign.campaign_department(current_user.department_id)}
    if campaign.status == CampaignStatus.COLLECTING and campaign.may_run(current_user):
        context["coverage"] = services.coverage(campaign) if any(cd.items for cd in campaign.departments) else []
    if campaign.status != CampaignStatus.COLLECTING:
        flagged = services.flagged(campaign)
        if campaign.reached(CampaignStatus.TEAMED):
            context["staffing"] = staffing.staffing(campaign)
            context["staffing_form"] = StaffingForm(
                visit_end=campaign.visit_end, inspector_capacity=campaign.inspector_capacity,
                daily_capacity=campaign.daily_capacity, expertise_industries=join_list(campaign.expertise_industries))
        context.update(flagged=flagged, pending=services.pending_counts(campaign),
                       unstaffed=services.unstaffed(campaign), dropped=services.dropped(campaign),
                       replaceable=services.replaceable(campaign, flagged) if campaign.status == CampaignStatus.DRAWN else {})
    return render_template("campaigns/detail.html", **context)


# ---- items and materials, per department -------------------------------------------------------------


@bp.route("/<int:campaign_id>/items", methods=["GET", "POST"])
@roles_required(*ANY_ROLE, post=("office", "admin"))  # a department's people read its items; its admin submits them
def items(campaign_id):
    campaign = _campaign(campaign_id)
    department_id = own_department_id() or request.args.get("department", type=int)
    campaign_department = campaign.campaign_department(department_id)
    if campaign_department is None:
        return render_template("campaigns/items_overview.html", campaign=campaign)
    editable = may("campaigns.items", "POST") and campaign.status == CampaignStatus.COLLECTING
    form = ItemsForm()
    available = services.selectable_items(department_id)
    form.item_ids.choices = choices((i.id, f"{i.code} {i.name}（适用：{i.industries}）") for i in available)
    if request.method == "GET":
        form.item_ids.data = [ci.item_id for ci in campaign_department.items]
        form.materials.data = campaign_department.materials or join_list(
            dict.fromkeys(m for i in available for m in i.material_list))
    if request.method == "POST":
        if not editable:
            abort(403)
        if form.validate_on_submit():
            try:
                services.submit_items(campaign, department_id, form.item_ids.data, form.materials.data, current_user)
            except services.CampaignError as error:
                form.item_ids.errors.append(str(error))
            else:
                db.session.commit()
                return _done(f"{campaign_department.department.name}的抽查事项和材料清单已提交", campaign)
    return render_template("campaigns/items.html", campaign=campaign, campaign_department=campaign_department, form=form,
                           editable=editable)


# ---- stage 1: lock, draw, confirm, replace ------------------------------------------------------------


@bp.get("/<int:campaign_id>/subjects")
@login_required
def subjects(campaign_id):
    campaign = _campaign(campaign_id)
    page = paginate(services.drawn_query(campaign), request.args.get("page", 1, type=int), per_page=100)
    departments = {cd.department_id: cd.department for cd in campaign.departments}
    return render_template("campaigns/subjects.html", campaign=campaign, page=page, departments=departments)


@bp.route("/<int:campaign_id>/confirm", methods=["GET", "POST"])
@roles_required("admin")
def confirm(campaign_id):
    campaign = _campaign(campaign_id)
    department_id = current_user.department_id
    campaign_department = campaign.campaign_department(department_id)
    rows = [cs for cs in campaign.subjects if cs.status == DrawnStatus.ACTIVE and department_id in cs.department_ids]
    # What the admin chose on this page: kept when the save is refused, so no mark has to be made twice.
    chosen = {cs.id: (request.form.get(f"decision-{cs.id}", ""), request.form.get(f"reason-{cs.id}", ""))
              for cs in rows if request.form.get(f"decision-{cs.id}")}
    if request.method == "POST":
        decisions = dict(chosen)
        if request.form.get("all") == "1":  # the rows marked here as marked, every other waiting one confirmed
            decisions = {cs.id: (Decision.CONFIRMED, "") for cs in services.pending_confirmations(campaign, department_id)
                         if cs.id not in chosen} | chosen
        try:
            recorded = services.confirm(campaign, department_id, decisions, current_user)
        except services.CampaignError as error:
            db.session.rollback()
            flash(f"{error}。本页的选择已保留，补充后再保存。", "error")
        else:
            db.session.commit()
            marked = sum(1 for decision, _ in decisions.values() if decision != Decision.CONFIRMED)
            flash(f"已记录{recorded}户的确认结果" + (f"，其中{marked}户标记为不检查或需替换" if marked else ""),
                  "success")
            return redirect(url_for("campaigns.confirm", campaign_id=campaign.id))
    mine = {cs.id: next((c for c in cs.confirmations if c.department_id == department_id), None) for cs in rows}
    return render_template("campaigns/confirm.html", campaign=campaign, campaign_department=campaign_department,
                           rows=rows, mine=mine, chosen=chosen, decisions=Decision)


def _drawn_subject(campaign: Campaign, cs_id: int) -> CampaignSubject:
    cs = db.get_or_404(CampaignSubject, cs_id)
    if cs.campaign_id != campaign.id:
        abort(404)
    return cs


def _posted_reason() -> str:
    form = ReasonForm()
    return form.reason.data if form.validate_on_submit() else ""


@bp.post("/<int:campaign_id>/subjects/<int:cs_id>/drop")
@roles_required("office", "admin")
def drop(campaign_id, cs_id):
    """Accept a closed enterprise's shortfall: it leaves the campaign and the pool, with the office's reason."""
    campaign = _runner(campaign_id)
    cs = _drawn_subject(campaign, cs_id)
    reason = _posted_reason()
    return _attempt(campaign, lambda: services.accept_shortfall(campaign, cs, reason, current_user),
                    f"“{cs.subject.name}”已核减，不再替换；名录库已记录其状态，今后不再参加抽取")


# ---- stage 2: teams, recusal, dispatch ---------------------------------------------------------------------


@bp.post("/<int:campaign_id>/staffing")
@roles_required("office", "admin")
def staffing_settings(campaign_id):
    """What a supplementary team draw (补充组队) will use: a later end of the visits, higher capacities, fewer
    specialist industries. The draw itself is a seed round like every other."""
    campaign = _runner(campaign_id)
    form = StaffingForm()
    if not form.validate_on_submit():
        return _done("；".join(e for errors in form.errors.values() for e in errors), campaign, "error")
    changes = {"visit_end": form.visit_end.data, "inspector_capacity": form.inspector_capacity.data,
               "daily_capacity": form.daily_capacity.data, "expertise_industries": form.expertise_industries.data}
    return _attempt(campaign, lambda: staffing.adjust(campaign, changes),
                    "补充组队的设置已保存；请开始补充组队（征集随机数承诺）")


TEAM_FILTERS = ("date", "department", "q")


def _team_filters() -> dict[str, str]:
    return {name: request.args.get(name, "").strip() for name in TEAM_FILTERS if request.args.get(name, "").strip()}


@bp.get("/<int:campaign_id>/teams")
@login_required
def teams(campaign_id):
    campaign = _campaign(campaign_id)
    filters = _team_filters()
    page = paginate(services.teams_query(campaign, filters), request.args.get("page", 1, type=int), per_page=50)
    return render_template("campaigns/teams.html", campaign=campaign, page=page, filters=filters,
                           dates=services.visit_dates(campaign), back=request.full_path)


def _back_to_teams(campaign: Campaign):
    """Where a recusal was asked from: the teams page with its filters and page, never another site."""
    back = request.values.get("back", "")
    if back.startswith(f"/campaigns/{campaign.id}/teams") and "//" not in back:
        return back
    return url_for("campaigns.teams", campaign_id=campaign.id)


@bp.route("/<int:campaign_id>/members/<int:member_id>/recuse", methods=["GET", "POST"])
@roles_required("office", "admin")
def recuse(campaign_id, member_id):
    campaign = _campaign(campaign_id)
    member = db.get_or_404(TeamMember, member_id)
    if member.campaign_subject.campaign_id != campaign.id:
        abort(404)
    if not member.may_be_recused_by(current_user):
        abort(403)
    form = RecuseForm()
    if request.method == "GET":
        if not member.can_be_recused_by(current_user):
            flash(f"{member.inspector.name}已回避或检查组已不能调整", "warning")
            return redirect(_back_to_teams(campaign))
        return render_template("campaigns/recuse.html", campaign=campaign, member=member, form=form,
                               back=_back_to_teams(campaign))
    if not form.validate_on_submit():
        flash("请填写回避原因", "error")
        return redirect(url_for("campaigns.recuse", campaign_id=campaign.id, member_id=member.id,
                                back=_back_to_teams(campaign)))
    try:
        seed_rounds.recuse(campaign, member, form.reason.data, current_user, witness=form.witness.data or "")
        db.session.commit()
    except services.CampaignError as error:
        db.session.rollback()
        flash(str(error), "error")
    except (sa.exc.IntegrityError, sa.exc.OperationalError):
        db.session.rollback()
        flash("这一步刚刚已由其他人完成或正在进行，请刷新后查看，以已保存的结果为准", "warning")
    else:
        flash(f"{member.inspector.name}已回避。该席位的补位抽取已开始征集随机数承诺（见工作台待办或"
              f"{campaign.kind_label}页），抽取后新成员出现在这里。", "success")
    return redirect(_back_to_teams(campaign))


@bp.post("/<int:campaign_id>/dispatch")
@roles_required("office", "admin")
def dispatch(campaign_id):
    campaign = _runner(campaign_id)
    return _attempt(campaign, lambda: services.dispatch(campaign),
                    "已派发：一企一表已发送给检查人员" + ("，分组名单已发送给牵头部门" if campaign.is_joint else ""))


@bp.get("/<int:campaign_id>/dispatch.xlsx")
@login_required
def dispatch_list(campaign_id):
    campaign = _campaign(campaign_id)
    if not campaign.dispatch_list_may_be_read_by(current_user):
        abort(403)
    if not campaign.reached(CampaignStatus.TEAMED):
        abort(404)
    return send_workbook(lambda target: sheets.write_dispatch(target, campaign), f"{campaign.name}_派发清单")


# ---- the joint record (一企一表) and the enterprise notice -------------------------------------------------


def _record_subject(campaign: Campaign, cs_id: int) -> CampaignSubject:
    cs = db.get_or_404(CampaignSubject, cs_id)
    if cs.campaign_id != campaign.id:
        abort(404)
    if not cs.sheet_may_be_read_by(current_user):
        abort(403)
    return cs


@bp.get("/<int:campaign_id>/records/<int:cs_id>")
@login_required
def record(campaign_id, cs_id):
    campaign = _campaign(campaign_id)
    cs = _record_subject(campaign, cs_id)
    return render_template("campaigns/record.html", sheet=sheets.sheet_of(cs), campaign=campaign)


@bp.get("/<int:campaign_id>/records/<int:cs_id>.xlsx")
@login_required
def record_xlsx(campaign_id, cs_id):
    campaign = _campaign(campaign_id)
    cs = _record_subject(campaign, cs_id)
    return send_workbook(lambda target: sheets.write_sheets(target, [cs]), f"一企一表_{cs.subject.name}")


@bp.get("/<int:campaign_id>/records.xlsx")
@login_required
def records_xlsx(campaign_id):
    campaign = _campaign(campaign_id)
    subjects = sheets.staffed_subjects(campaign)
    if not current_user.is_office and current_user.department_id != campaign.lead_department_id:
        subjects = [cs for cs in subjects if current_user.department_id in cs.department_ids]
    return send_workbook(lambda target: sheets.write_sheets(target, subjects), f"{campaign.name}_一企一表")


@bp.get("/<int:campaign_id>/notices/<int:cs_id>")
@login_required
def notice(campaign_id, cs_id):
    campaign = _campaign(campaign_id)
    cs = _record_subject(campaign, cs_id)
    if campaign.covert:
        flash("暗查暗访不事先告知被检查单位，不生成告知书", "warning")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return render_template("campaigns/notice.html", sheet=sheets.sheet_of(cs), campaign=campaign,
                           county=current_app.config["COUNTY_NAME"])


# ---- draw records, for anyone who wants to replay them -----------------------------------------------------


# The technical steps, in the file a technician receives, rather than on the clerk's page.
HOW_TO_VERIFY = [
    "1. 把 input 一节另存为 input.json，计算其去掉 seed 字段后的规范 JSON 的 SHA-256，"
    "应等于 locked_sha256（抽取前公布的名单指纹）。",
    "2. 安装同一版本的联查通，运行 python -m solver draw input.json（抽取检查对象、替换抽取）或 python -m solver teams input.json"
    "（随机组队、回避补位、补充组队），输出应与 result 一节逐字节一致。",
    "3. 有 seed_round 一节的，运行 python -m solver verify-seed 核对每一方的承诺并复算种子。",
    "4. 办公室的系统管理员可在服务器上运行 flask --app coordinator replay-draw 联合抽查编号，一次复核全部抽取记录。",
]


@bp.get("/<int:campaign_id>/draws/<int:draw_id>.json")
@login_required
def draw_json(campaign_id, draw_id):
    campaign = _campaign(campaign_id)
    draw = db.get_or_404(Draw, draw_id)
    if draw.campaign_id != campaign.id:
        abort(404)
    if not draw.may_download(current_user):
        abort(403)
    problem = json.loads(draw.problem)
    if draw.seed is not None:
        problem["seed"] = draw.seed
    round_ = seed_rounds.round_for_draw(draw.id)
    body = json.dumps({"how_to_verify": HOW_TO_VERIFY, "input": problem, "locked_sha256": draw.locked_sha256,
                       "seed_round": seed_rounds.material(round_, reveals=draw.result is not None) if round_ else None,
                       "result": json.loads(draw.result) if draw.result else None},
                      ensure_ascii=False, indent=1)
    return current_app.response_class(body, mimetype="application/json", headers={
        "Content-Disposition": f"attachment; filename=draw-{campaign.id}-{draw.id}.json"})


@bp.get("/<int:campaign_id>/draws/<int:draw_id>/pairs.csv")
@login_required
def pair_probabilities_csv(campaign_id, draw_id):
    """The planned probability of every inspector–subject pair of a team draw, for auditors."""
    campaign = _campaign(campaign_id)
    draw = db.get_or_404(Draw, draw_id)
    pairs = services.pair_probabilities(draw) if draw.campaign_id == campaign.id else None
    if pairs is None:
        abort(404)
    if not draw.may_download(current_user):  # which pairs may never meet shows who is recused from what
        abort(403)
    return current_app.response_class(services.pair_probabilities_csv(pairs), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=pairs-{campaign.id}-{draw.id}.csv"})
