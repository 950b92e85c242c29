"""The demo county's campaigns: the finished 2024 joint campaign of seed 004, and an open one awaiting its draw."""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from ..auth.models import Department, User
from ..draws import services as rounds
from ..draws.models import SeedContribution, SeedRound
from ..extensions import db
from ..items.models import Item
from ..results.demo import enter_demo_results
from ..states import Decision, DrawnStatus
from . import rules, services
from .models import Campaign, CampaignDepartment, Confirmation, Draw


def _users() -> tuple[User, dict[int, User]]:
    users = db.session.scalars(sa.select(User).order_by(User.id)).all()
    office = next(u for u in users if u.role == "office")
    return office, {u.department_id: u for u in users if u.role == "admin"}


def _submit_matching_items(campaign: Campaign, admins: dict[int, User]) -> None:
    """Each department picks the items that reach the campaign's industries."""
    wanted = set(campaign.scope.get("industries") or [])
    for cd in campaign.departments:
        items = db.session.scalars(sa.select(Item).where(Item.department_id == cd.department_id, Item.active)
                                  .order_by(Item.code)).all()
        chosen = [i.id for i in items if "全部" in i.industry_list or wanted & set(i.industry_list)]
        materials = "、".join(dict.fromkeys(m for i in items if i.id in chosen for m in i.material_list))
        services.submit_items(campaign, cd.department_id, chosen, materials, admins[cd.department_id])


def _campaign(name: str, codes: list[str], office: User, **values) -> Campaign:
    departments = {d.code: d for d in db.session.scalars(sa.select(Department))}
    base = {
        "field": "应急管理领域", "scope": {"industries": ["危险化学品", "烟花爆竹", "工贸", "成品油"]},
        "strata": rules.STRATA_PRESETS["joint20"]["strata"], "risk_weights": rules.DEFAULT_RISK_WEIGHTS,
        "must_flags": rules.DEFAULT_MUST_FLAGS, "expertise_industries": rules.DEFAULT_EXPERTISE_INDUSTRIES,
        "burden_months": 12, "team_size": 2, "inspector_capacity": 40, "daily_capacity": 2,
        "max_pair_probability": 0.5,
    }
    return services.create_campaign({"name": name, **base, **values}, departments[codes[0]],
                                    [departments[c] for c in codes[1:]], office)


def _seed_round(campaign: Campaign, kind: str, office: User, admins: dict[int, User], *, silent=(), **options):
    """A commit-reveal round as the parties would play it, with values made up for the demo (a real party's value
    is made on its own screen and never known to the app before its reveal). Parties in `silent` commit but do
    not reveal in time, so the demo shows how that is recorded."""
    round_ = rounds.open_round(campaign, kind, office, **options)
    users = {c.slot: admins.get(c.department_id, office) for c in round_.contributions}
    values = {slot: hashlib.sha256(f"河清县演示/{campaign.name}/{round_.id}/{slot}".encode()).hexdigest()
              for slot in users}
    for slot, user in users.items():
        rounds.commit(round_, slot, hashlib.sha256(values[slot].encode()).hexdigest(), user)
    for slot, user in users.items():
        if slot not in silent:
            rounds.reveal(round_, slot, values[slot], user)
    if silent:
        round_.reveal_deadline = round_.commit_closed_at - timedelta(seconds=1)  # the demo does not wait a day
    return rounds.run_round(round_, office)


def _backdate(campaign: Campaign, moment: datetime, confirm_deadline: datetime = datetime(2024, 6, 4, 23, 59, 59)) -> None:
    """The 2024 campaign happened in 2024: its records carry 2024 times, not the day the demo was loaded."""
    db.session.execute(sa.update(Draw).where(Draw.campaign_id == campaign.id)
                       .values(locked_at=moment, drawn_at=moment))
    db.session.execute(sa.update(CampaignDepartment).where(CampaignDepartment.campaign_id == campaign.id)
                       .values(submitted_at=moment, confirmed_at=moment,
                               confirm_deadline=confirm_deadline))
    ids = [cs.id for cs in campaign.subjects]
    db.session.execute(sa.update(Confirmation).where(Confirmation.campaign_subject_id.in_(ids)).values(at=moment))
    round_ids = list(db.session.scalars(sa.select(SeedRound.id).where(SeedRound.campaign_id == campaign.id)))
    db.session.execute(sa.update(SeedRound).where(SeedRound.id.in_(round_ids)).values(
        opened_at=moment - timedelta(hours=2), commit_deadline=moment - timedelta(hours=1), commit_closed_at=moment,
        reveal_deadline=moment + timedelta(hours=24)))
    db.session.execute(sa.update(SeedContribution).where(SeedContribution.round_id.in_(round_ids))
                       .values(committed_at=moment - timedelta(hours=1)))
    db.session.execute(sa.update(SeedContribution).where(SeedContribution.round_id.in_(round_ids),
                                                         SeedContribution.value.is_not(None))
                       .values(revealed_at=moment + timedelta(minutes=30)))
    campaign.created_at = moment


FIRE_YEAR = 2025
FIRE_MONTHLY = 4  # enterprises a month in the demo (the real brigade: 682 a year, seed 001)
SPECIAL_SCHEME = """一、检查对象：辖区人员密集场所的消防安全重点单位（商场、宾馆、养老机构、学校等）。
二、抽查比例：不低于上述单位总数的30%，随机抽取，确保春节前全部检查完毕。
三、检查内容：消防安全责任制落实、疏散通道和安全出口、消防设施器材、电气线路和燃气使用、员工消防安全培训。
四、时间安排：2025年1月6日至1月24日。
五、工作要求：发现重大火灾隐患的，依法责令改正并跟踪复查；拒不整改的，依法查处。"""


def _fire_campaign(name: str, xfj: Department, office: User, admins: dict[int, User], first: date, last: date,
                   strata: list[dict], **values) -> Campaign:
    """One of the fire brigade's own inspections of the demo year, played through as the brigade would: items,
    the seed rounds (the brigade's and a witness's values: the office is not a party), confirmation, teams of two,
    dispatch, results, publication."""
    from ..workdays import working_days_between
    days = working_days_between(first, last)
    campaign = services.create_campaign({
        "name": name, "field": "消防安全", "scope": {}, "strata": strata, "risk_weights": rules.DEFAULT_RISK_WEIGHTS,
        "must_flags": [], "expertise_industries": [], "burden_months": 12, "team_size": 2,
        "inspector_capacity": 40, "daily_capacity": 2, "max_pair_probability": None, "period_start": first,
        "period_end": last, "items_deadline": days[0], "visit_start": days[1], "visit_end": days[-1], **values,
    }, xfj, [], admins[xfj.id])
    db.session.flush()
    _submit_matching_items(campaign, admins)
    # The brigade draws its own (seed 000's annex): its admin runs the rounds, with its legal officer as witness.
    _seed_round(campaign, "subjects", admins[xfj.id], admins, witness=FIRE_WITNESS)
    services.confirm(campaign, xfj.id, {cs.id: (Decision.CONFIRMED, "") for cs in
                                        services.pending_confirmations(campaign, xfj.id)}, admins[xfj.id])
    _seed_round(campaign, "teams", admins[xfj.id], admins, witness=FIRE_WITNESS)
    services.dispatch(campaign)
    db.session.flush()
    enter_demo_results(campaign)
    moment = datetime.combine(days[0], datetime.min.time()) + timedelta(hours=9)
    _backdate(campaign, moment, confirm_deadline=moment + timedelta(days=1))
    return campaign


FIRE_WITNESS = "大队法制审核员 李强"


def _fire_plan(xfj: Department, office: User) -> str:
    """The brigade's annual plan of the current year as seed 000's annex has it, adjusted once with its reason, so
    the public plan, its history and next month's proposal have content (in December too: the task runs into
    next year's February)."""
    from flask import current_app

    from ..plans import services as plans
    from ..timeutil import today
    year = today().year
    items = db.session.scalars(sa.select(Item.id).where(Item.department_id == xfj.id, Item.active)
                               .order_by(Item.id)).all()
    plan = plans.create_plan(year, xfj, current_app.config.get("COUNTY_NAME", "河清县"))
    db.session.flush()
    ratio = ("对属于人员密集场所的消防安全重点单位，每年至少抽查一次，其他类型的消防安全重点单位抽查比例不应低于总数的80%，"
             "一般单位抽查比例不低于总数的20%，九小单位抽查比例不低于总数的2%。")
    task = plans.add_task(plan, {"name": f"{year}年{xfj.name}内部随机抽查", "task_type": "定向", "ratio": ratio,
                                 "scope": "消防安全重点单位名单／一般单位名单／其他单位名单",
                                 "start_month": f"{year}-01", "end_month": f"{year}-11"}, [], items, user=office,
                          reason="年度计划公布")
    values = {key: getattr(task, key) for key in ("name", "task_type", "ratio", "scope", "start_month")}
    # to February of next year: in December too, next month's (January's) proposal has the task
    plans.update_task(task, {**values, "end_month": f"{year + 1}-02"}, [], items, user=office,
                      reason="岁末年初火灾多发，抽查延至次年2月")
    return f"年度抽查计划：{plan.number} {plan.name}（1项任务，调整1次，已向社会公开）"


def build_fire_brigade_year() -> list[str]:
    """A year of the fire brigade's single-department random inspections (内部随机抽查, seed 000's annex; seed 001:
    most of its work is its own) — one a month — and one special inspection before the Spring Festival."""
    office, admins = _users()
    xfj = db.session.scalar(sa.select(Department).where(Department.code == "xfj"))
    if xfj is None or xfj.id not in admins:
        return []
    from ..states import CampaignKind
    from ..workdays import working_days_between
    special = _fire_campaign(
        f"{FIRE_YEAR}年春节前消防安全专项检查", xfj, office, admins, date(FIRE_YEAR, 1, 2), date(FIRE_YEAR, 1, 24),
        [{"id": "人员密集场所重点单位", "category": "消防安全重点单位", "crowded": True, "mode": "count", "value": 3}],
        kind=CampaignKind.SPECIAL, scheme_text=SPECIAL_SCHEME, scheme_filed_with="市消防救援支队",
        scheme_filed_on=date(FIRE_YEAR, 1, 3))
    monthly = []
    for month in range(1, 13):
        first = date(FIRE_YEAR, month, 1)
        last = (date(FIRE_YEAR + month // 12, month % 12 + 1, 1) - timedelta(days=1))
        if len(working_days_between(first, last)) < 3:
            continue
        monthly.append(_fire_campaign(
            f"{FIRE_YEAR}年{xfj.name}内部随机抽查{month:03d}", xfj, office, admins, first, last,
            [{"id": "本月抽查", "category": "*", "crowded": None, "mode": "count", "value": FIRE_MONTHLY}],
            kind=CampaignKind.INTERNAL))
    plan_line = _fire_plan(xfj, office)
    db.session.commit()
    inspected = sum(1 for c in monthly for cs in c.subjects if cs.status == DrawnStatus.ACTIVE)
    return [f"内部随机抽查：{xfj.name}{FIRE_YEAR}年每月一次，共{len(monthly)}次、{inspected}户，结果已录入公示",
            f"专项检查：{special.name}（专项检查方案已报{special.scheme_filed_with}备案）", plan_line]


def build_demo_campaigns() -> list[str]:
    office, admins = _users()
    finished = _campaign(
        "2024年度河清县应急管理领域部门联合抽查", ["yjj", "scj", "swj", "xfj"], office,
        period_start=date(2024, 5, 27), period_end=date(2024, 7, 31), items_deadline=date(2024, 5, 31),
        visit_start=date(2024, 6, 11), visit_end=date(2024, 7, 19),
    )
    db.session.flush()
    _submit_matching_items(finished, admins)
    swj = next(cd.department.code for cd in finished.departments if cd.department.code == "swj")
    _seed_round(finished, "subjects", office, admins, witness="县纪委监委派驻纪检组 王明", silent={f"dept:{swj}"})
    drawn = [cs for cs in finished.subjects if cs.status == DrawnStatus.ACTIVE]
    closed = drawn[0]
    flagger = admins[finished.lead_department_id]
    services.confirm(finished, finished.lead_department_id, {closed.id: (Decision.CLOSED, "实地核实已停业三个月")}, flagger)
    _seed_round(finished, "replacement", office, admins, target_id=closed.id, reason="已关闭停业：实地核实已停业三个月")
    for cd in finished.departments:
        pending = services.pending_confirmations(finished, cd.department_id)
        confirmed = {cs.id: (Decision.CONFIRMED, "") for cs in pending}
        services.confirm(finished, cd.department_id, confirmed, admins[cd.department_id])
    _seed_round(finished, "teams", office, admins, witness="县纪委监委派驻纪检组 王明")
    staffed = next(cs for cs in finished.subjects if cs.status == DrawnStatus.ACTIVE and len(cs.active_members) > 2)
    member = next(m for m in staffed.active_members if not m.is_leader)
    services.withdraw(finished, member, "其配偶在该单位任职", office)
    _seed_round(finished, "reseat", office, admins, target_id=member.id,
                reason=f"{member.inspector.name}回避")
    services.dispatch(finished)
    db.session.flush()
    enter_demo_results(finished)
    _backdate(finished, datetime(2024, 6, 3, 9, 30))

    waiting = _campaign(
        "2026年度河清县应急管理领域部门联合抽查（岁末年初）", ["yjj", "scj", "xfj", "hbj"], office,
        period_start=date(2026, 11, 16), period_end=date(2027, 1, 31), items_deadline=date(2026, 11, 20),
        visit_start=date(2026, 12, 1), visit_end=date(2026, 12, 31),
    )
    db.session.flush()
    _submit_matching_items(waiting, admins)
    rounds.open_round(waiting, "subjects", office)  # the parties commit from their own screens
    db.session.commit()
    active = sum(1 for cs in finished.subjects if cs.status == DrawnStatus.ACTIVE)
    return [f"联合抽查：{finished.name}（已抽取{active}户，已组队、派发，结果已录入公示）",
            f"联合抽查：{waiting.name}（正在征集抽取检查对象的随机数承诺）", *build_fire_brigade_year()]
