"""Monthly plans (月抽查计划, seed 000): asked for on a month's last two working days, proposed from the annual
plan's tasks active next month and the inspectors' capacity, edited and confirmed by the department, exported,
and made into its internal random inspection."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from coordinator.auth.models import User
from coordinator.campaigns.models import Campaign
from coordinator.directories.models import Inspector
from coordinator.excel.reader import _load
from coordinator.extensions import db
from coordinator.home import services as home
from coordinator.items.models import Item
from coordinator.plans import monthly
from coordinator.plans import services as plans
from coordinator.plans.models import MonthlyPlan
from coordinator.states import CampaignKind, MonthlyPlanStatus
from tests.app.county import PASSWORD, build_county


@pytest.fixture
def county(ctx):
    return build_county()


def _user(name):
    return db.session.scalar(sa.select(User).where(User.username == name))


def test_the_plan_is_asked_for_on_the_last_two_working_days_across_a_month_end_holiday(app, county):
    # January 2025: Sunday the 26th is a make-up working day, the 28th to the 31st the Spring Festival holiday,
    # so the month's last two working days are the 26th and the 27th.
    assert monthly.last_working_days(date(2025, 1, 10)) == [date(2025, 1, 26), date(2025, 1, 27)]
    assert monthly.asking_month(date(2025, 1, 24)) is None  # a Friday, but not one of the last two
    assert monthly.asking_month(date(2025, 1, 25)) is None  # Saturday
    assert monthly.asking_month(date(2025, 1, 26)) == "2025-02"
    assert monthly.asking_month(date(2025, 1, 27)) == "2025-02"
    assert monthly.asking_month(date(2025, 1, 31)) == "2025-02"  # still asked (late) until the month ends
    assert monthly.asking_month(date(2025, 2, 1)) is None
    # An ordinary month: December 2024 ends on Monday the 30th and Tuesday the 31st.
    assert monthly.last_working_days(date(2024, 12, 2)) == [date(2024, 12, 30), date(2024, 12, 31)]
    assert monthly.asking_month(date(2024, 12, 27)) is None and monthly.asking_month(date(2024, 12, 30)) == "2025-01"

    admin = _user("yjj_admin")
    request = app.test_request_context()
    request.push()
    assert monthly.departments_asked(date(2025, 1, 24)) == []
    assert home.monthly_plan_tasks(admin, date(2025, 1, 24)) == []
    asked = home.monthly_plan_tasks(admin, date(2025, 1, 26))
    assert len(asked) == 1 and "2025年2月的月抽查计划" in asked[0].text and not asked[0].late
    assert home.monthly_plan_tasks(admin, date(2025, 1, 29))[0].late  # past the last working day
    office = home.monthly_plan_tasks(_user("office"), date(2025, 1, 27))
    assert len(office) == 1 and "应急管理局" in office[0].text and "市场监督管理局" in office[0].text
    request.pop()


def _task(plan, name, start_month, end_month):
    """A task of `plan` with only its name and months of interest."""
    db.session.flush()
    return plans.add_task(plan, {"name": name, "task_type": "定向", "ratio": "20%", "items": "", "scope": "全部",
                                 "start_month": start_month, "end_month": end_month}, [])


def test_the_proposal_takes_the_tasks_active_next_month_sized_to_the_inspectors(county):
    yjj = county["yjj"]
    plan = plans.create_plan(2025, yjj, "河清县")
    db.session.flush()
    active = _task(plan, "危化品企业抽查", "2025-01", "2025-03")
    _task(plan, "下半年抽查", "2025-07", "2025-12")
    db.session.commit()
    assert [t.id for t in monthly.tasks_active(yjj.id, "2025-02")] == [active.id]
    assert monthly.tasks_active(county["scj"].id, "2025-02") == []  # neither initiates nor joins

    # 8 yjj inspectors with valid certificates × 19 working days in February 2025 (the 1st to the 4th are the
    # Spring Festival holiday, Saturday the 8th a make-up working day) × 25 % × 2 a day ÷ 2 = 38
    amount, basis = monthly.workload(yjj.id, "2025-02")
    assert amount == 38 and "8人" in basis and "19天" in basis
    proposal = monthly.propose(yjj, "2025-02")
    db.session.commit()
    assert proposal.tasks == [active.id] and proposal.workload == 38
    assert len(proposal.entries) == 38  # of the 40 enterprises yjj's items reach, none inspected yet
    assert all(e.due_on == date(2025, 2, 28) for e in proposal.entries)
    assert len({e.subject_id for e in proposal.entries}) == 38
    with pytest.raises(monthly.MonthlyPlanError):
        monthly.propose(yjj, "2025-02")  # one plan a department a month
    # a department without a task that month gets an empty proposal
    assert monthly.propose(county["scj"], "2025-02").entries == []


def test_in_december_the_proposal_for_january_takes_last_years_task_running_into_the_new_year(county):
    # A 2025 plan's task for the turn of the year (岁末年初, 2025-12 to 2026-02); on 30 December 2025, one of the
    # month's last two working days, January 2026 is asked for, and the task is active in it.
    yjj = county["yjj"]
    winter = _task(plans.create_plan(2025, yjj, "河清县"), "岁末年初抽查", "2025-12", "2026-02")
    db.session.commit()
    assert monthly.asking_month(date(2025, 12, 30)) == "2026-01"
    assert [t.id for t in monthly.tasks_active(yjj.id, "2026-01")] == [winter.id]
    assert monthly.tasks_active(yjj.id, "2026-03") == []
    proposal = monthly.propose(yjj, "2026-01")
    db.session.commit()
    assert proposal.tasks == [winter.id] and proposal.entries
    assert all(e.due_on == date(2026, 1, 30) for e in proposal.entries)  # January 2026's last working day, a Friday


def test_the_department_edits_confirms_exports_and_makes_its_campaign(app, county, tmp_path):
    yjj = county["yjj"]
    plan = plans.create_plan(2025, yjj, "河清县")
    db.session.flush()
    plans.add_task(plan, {"name": "一季度抽查", "task_type": "定向", "ratio": "20%", "items": "", "scope": "全部",
                          "start_month": "2025-01", "end_month": "2025-03"}, [])
    proposal = monthly.propose(yjj, "2025-02")
    db.session.commit()
    pid = proposal.id
    clients = {}
    for name in ("yjj_admin", "yjj_officer", "scj_admin", "office"):
        clients[name] = app.test_client()
        clients[name].post("/login", data={"username": name, "password": PASSWORD})
    assert clients["scj_admin"].get(f"/plans/monthly/{pid}").status_code == 403
    assert clients["office"].get(f"/plans/monthly/{pid}").status_code == 200
    page = clients["yjj_admin"].get(f"/plans/monthly/{pid}").data.decode()
    first = proposal.entries[0]
    assert first.subject.name in page and first.subject.address in page and "2025-02-28" in page

    removed = proposal.entries[1]
    assert clients["yjj_officer"].post(f"/plans/monthly/{pid}/entries/{removed.id}/delete").status_code == 403
    assert clients["scj_admin"].post(f"/plans/monthly/{pid}/entries/{removed.id}/delete").status_code == 403
    clients["yjj_admin"].post(f"/plans/monthly/{pid}/entries/{removed.id}/delete")
    db.session.expire_all()
    assert len(db.session.get(MonthlyPlan, pid).entries) == 37
    clients["yjj_admin"].post(f"/plans/monthly/{pid}/entries", data={"credit_code": removed.subject.credit_code})
    assert clients["office"].post(f"/plans/monthly/{pid}/confirm", data={}).status_code == 403
    clients["yjj_admin"].post(f"/plans/monthly/{pid}/confirm", data={"note": "春节后复工复产重点"})
    db.session.expire_all()
    plan = db.session.get(MonthlyPlan, pid)
    assert plan.status == MonthlyPlanStatus.CONFIRMED and len(plan.entries) == 38 and plan.note == "春节后复工复产重点"
    confirmed = clients["yjj_admin"].get(f"/plans/monthly/{pid}").data.decode()
    create = f'action="/plans/monthly/{pid}/campaign"'
    # The next step is offered at the head of the page (not only below a list of 38) and again at its foot.
    assert confirmed.count(create) == 2 and confirmed.index(create) < confirmed.index(first.subject.name)
    assert create not in clients["office"].get(f"/plans/monthly/{pid}").data.decode()

    workbook = tmp_path / "plan.xlsx"
    workbook.write_bytes(clients["yjj_admin"].get(f"/plans/monthly/{pid}.xlsx").data)
    rows = _load(workbook)
    header = next(r for r in rows if r and r[0] == "序号")
    assert header[1] == "检查对象名称" and header[3] == "地址" and header[6] == "检查时限"
    assert sum(1 for r in rows if r and r[0].isdigit()) == 38

    response = clients["yjj_admin"].post(f"/plans/monthly/{pid}/campaign")
    assert response.status_code in (302, 303)
    db.session.expire_all()
    campaign = db.session.scalar(sa.select(Campaign))
    plan = db.session.get(MonthlyPlan, pid)
    assert plan.campaign_id == campaign.id and campaign.kind == CampaignKind.INTERNAL and not campaign.is_joint
    assert sorted(campaign.scope["subjects"]) == sorted(e.subject_id for e in plan.entries)
    assert campaign.period_start == date(2025, 2, 1) and campaign.period_end == date(2025, 2, 28)
    from coordinator.campaigns.services import in_scope_query
    in_scope = db.session.scalars(in_scope_query(campaign)).all()
    assert {s.id for s in in_scope} == {e.subject_id for e in plan.entries}
    assert clients["yjj_admin"].post(f"/plans/monthly/{pid}/campaign").status_code in (302, 303)
    assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 1  # made once


def test_coverage_still_due_comes_first_with_its_rule(county):
    from coordinator.coverage.models import CoverageRule
    yjj = county["yjj"]
    plan = plans.create_plan(2025, yjj, "河清县")
    db.session.flush()
    plans.add_task(plan, {"name": "全年抽查", "task_type": "定向", "ratio": "20%", "items": "", "scope": "全部",
                          "start_month": "2025-01", "end_month": "2025-12"}, [])
    db.session.add(CoverageRule(department_id=yjj.id, name="工贸企业每年全覆盖", category="一般单位", ratio=1.0))
    db.session.commit()
    proposal = monthly.propose(yjj, "2025-03")
    reasons = [e.reason for e in proposal.entries]
    assert reasons and all(r == "覆盖规则“工贸企业每年全覆盖”尚未完成" for r in reasons)


def test_coverage_still_due_is_proposed_without_an_annual_plan_task(app, county):
    """Acceptance check: 应急管理局 (the demo's coverage duties, no annual-plan task) was proposed 0 enterprises and
    told “覆盖规则也没有尚未完成的对象” while 50 key units were still due. Its duties are proposed all the same;
    only the yearly pool beyond them waits for an annual-plan task."""
    from coordinator.coverage.models import CoverageRule
    yjj = county["yjj"]
    db.session.add(CoverageRule(department_id=yjj.id, name="工贸企业每年全覆盖", category="一般单位", ratio=1.0))
    db.session.commit()
    assert monthly.tasks_active(yjj.id, "2025-03") == []
    proposal = monthly.propose(yjj, "2025-03")
    db.session.commit()
    reasons = {e.reason for e in proposal.entries}
    assert proposal.entries and reasons == {"覆盖规则“工贸企业每年全覆盖”尚未完成"}
    assert len(proposal.entries) == min(proposal.workload, 40)  # the county's 40 一般单位, up to the workload

    # with neither a task nor a duty, the page says exactly that
    scj = county["scj"]
    empty = monthly.propose(scj, "2025-03")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": "scj_admin", "password": PASSWORD})
    page = client.get(f"/plans/monthly/{empty.id}").get_data(as_text=True)
    assert "下月没有进行中的年度计划任务，覆盖规则也没有尚未完成的对象" in page


def test_an_empty_proposal_says_why(county):
    scj = county["scj"]
    for inspector in db.session.scalars(sa.select(Inspector).where(Inspector.department_id == scj.id)):
        inspector.cert_no = None
    db.session.commit()
    assert monthly.propose(scj, "2025-03").why_empty == "工作量为0户：本部门下月没有持有效执法证的执法人员"

    # a task active next month but no item in use: nothing its items reach, not "all inspected recently"
    yjj = county["yjj"]
    _task(plans.create_plan(2025, yjj, "河清县"), "一季度抽查", "2025-01", "2025-03")
    for item in db.session.scalars(sa.select(Item).where(Item.department_id == yjj.id)):
        item.active = False
    db.session.commit()
    plan = monthly.propose(yjj, "2025-03")
    assert plan.tasks and plan.workload and not plan.entries
    assert plan.why_empty == "本部门没有在用的抽查事项，年度计划任务没有可抽取的对象，覆盖规则也没有尚未完成的对象"


def test_an_enterprise_its_items_do_not_reach_is_not_added(county):
    """The campaign made from the plan draws only enterprises the department's items reach: a shop added by hand to
    应急管理局's plan (items for 危险化学品 and 工贸) would silently drop out of “计划中的N户全部列入”."""
    from coordinator.directories.models import Subject
    from tests.app.county import credit_code
    yjj = county["yjj"]
    proposal = monthly.propose(yjj, "2025-02")
    shop = Subject(credit_code=credit_code(999), name="河清县测试便利店", category="九小场所", industry="零售")
    reached = db.session.scalar(sa.select(Subject).where(Subject.industry == "工贸").order_by(Subject.id))
    db.session.add(shop)
    db.session.commit()
    admin = _user("yjj_admin")
    with pytest.raises(monthly.MonthlyPlanError, match="零售"):
        monthly.add_subject(proposal, shop, admin)
    monthly.add_subject(proposal, reached, admin)
    assert [e.subject for e in proposal.entries] == [reached]
