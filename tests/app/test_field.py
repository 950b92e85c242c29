"""Field work (issue 14): inspectors' own accounts and task lists, seed 003's deadlines, the visit date agreed
by the lead department, what the visit learns going back to the directory, and result dates that are real."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from coordinator.auth import inspectors as accounts
from coordinator.auth.models import User
from coordinator.campaigns.models import CampaignSubject
from coordinator.directories.models import Inspector
from coordinator.extensions import db
from coordinator.results import services
from coordinator.results.models import InspectionRecord
from coordinator.states import DayMode, RecordStatus
from coordinator.timeutil import today
from tests.app.county import PASSWORD, build_county, dispatched_county_campaign, report_and_publish
from tests.conftest import csrf_token_from


@pytest.fixture
def dispatched(ctx):
    county = build_county()
    return county, dispatched_county_campaign(county)


def sign_in(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def entry_for(department_result, **changes) -> services.ResultEntry:
    items = [services.ItemEntry(ci.id, "未发现问题") for ci in services.items_for(department_result)]
    return services.ResultEntry(items=items, follow_ups=["无需后续处置"], **changes)


def submit_all(record, users, **lead_changes):
    lead_id = record.campaign_subject.campaign.lead_department_id
    for part in record.department_results:
        lead = part.department_id == lead_id
        user = users["yjj_admin" if part.department.code == "yjj" else "scj_officer"]
        services.save_department_result(record, part.department_id,
                                        entry_for(part, **(lead_changes if lead else {})), user, submit=True)


def account_for(inspector: Inspector, password: str = PASSWORD) -> User:
    """An inspector's own account with a known password (as if it had already changed the initial one)."""
    user = User(username=f"acct{inspector.id}", display_name=inspector.name, role="inspector",
                department_id=inspector.department_id, inspector_id=inspector.id)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


# ---- 1. one account per inspector --------------------------------------------------------------------------


def test_an_admin_opens_accounts_in_bulk_shown_once_and_changed_at_first_log_in(client, dispatched):
    county, _campaign = dispatched
    yjj = county["yjj"]
    sign_in(client, "yjj_admin")
    page = client.get("/admin/inspector-accounts").get_data(as_text=True)
    people = db.session.scalars(sa.select(Inspector).where(Inspector.department_id == yjj.id)
                                .order_by(Inspector.cert_no)).all()
    assert all(p.name in page for p in people) and "scj执法员0" not in page
    chosen = [people[0].id, people[1].id]
    response = client.post("/admin/inspector-accounts", data={"inspector": chosen, "csrf_token": csrf_token_from(page)})
    shown = response.get_data(as_text=True)
    made = db.session.scalars(sa.select(User).where(User.inspector_id.in_(chosen))).all()
    assert {u.inspector_id for u in made} == set(chosen)
    assert all(u.role == "inspector" and u.department_id == yjj.id and u.must_change_password for u in made)
    assert [u.username for u in sorted(made, key=lambda u: u.username)] == ["yjj_139901000", "yjj_139901001"]
    passwords = re.findall(r'<td class="code fs-5">([A-Za-z0-9]{10})</td>', shown)
    assert len(passwords) == 2
    # Shown once: the page read again lists the accounts, never a password.
    again = client.get("/admin/inspector-accounts").get_data(as_text=True)
    assert not any(p in again for p in passwords) and "待首次登录改密" in again
    client.post("/logout", data={"csrf_token": csrf_token_from(again)})
    # The first log-in asks for a new password before anything else.
    user = next(u for u in made if u.username == "yjj_139901000")
    password = None
    for candidate in passwords:
        if sign_in(client, user.username, candidate).headers.get("Location", "").endswith("/"):
            password = candidate
            break
    assert password
    response = client.get("/tasks/")
    assert response.status_code in (302, 303) and response.headers["Location"].endswith("/account/password")
    form = client.get("/account/password").get_data(as_text=True)
    assert "第一次登录" in form
    client.post("/account/password", data={"current": password, "new": "Mine2024x", "confirm": "Mine2024x",
                                           "csrf_token": csrf_token_from(form)})
    db.session.expire_all()
    assert not db.session.get(User, user.id).must_change_password
    assert client.get("/tasks/").status_code == 200


def test_accounts_only_for_own_inspectors_without_one(dispatched):
    county, _campaign = dispatched
    yjj, scj = county["yjj"], county["scj"]
    own = db.session.scalars(sa.select(Inspector).where(Inspector.department_id == yjj.id)
                             .order_by(Inspector.id)).first()
    other = db.session.scalars(sa.select(Inspector).where(Inspector.department_id == scj.id)
                               .order_by(Inspector.id)).first()
    with pytest.raises(accounts.AccountError):
        accounts.create_accounts(yjj, [own.id, other.id])  # another department's: the whole batch refused
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.role == "inspector")) == 0
    accounts.create_accounts(yjj, [own.id])
    with pytest.raises(accounts.AccountError):
        accounts.create_accounts(yjj, [own.id])  # already has one
    assert own.id not in {i.id for i in accounts.without_account(yjj.id)}


def test_an_inspector_sees_only_its_own_tasks_and_records_and_403_on_others(client, dispatched):
    county, campaign = dispatched
    subjects = [cs for cs in campaign.subjects if cs.active_members]
    mine = subjects[0]
    me = mine.leader.inspector
    theirs = next(cs for cs in subjects if me.id not in {m.inspector_id for m in cs.active_members})
    account_for(me)
    sign_in(client, f"acct{me.id}")
    assert client.get("/").headers["Location"].endswith("/tasks/")
    page = client.get("/tasks/").get_data(as_text=True)
    on_teams = {cs.subject.name for cs in subjects if me.id in {m.inspector_id for m in cs.active_members}}
    assert all(name in page for name in on_teams)
    assert theirs.subject.name not in page
    assert "组长" in page and mine.subject.best_address in page
    own_record, other_record = mine.record, theirs.record
    assert client.get(f"/results/{own_record.id}").status_code == 200
    assert client.get(f"/results/{own_record.id}/entry").status_code == 200
    for url in (f"/results/{other_record.id}", f"/results/{other_record.id}/entry",
                f"/results/{other_record.id}/notice"):
        assert client.get(url).status_code == 403, url
    token = csrf_token_from(client.get(f"/results/{own_record.id}").get_data(as_text=True))
    assert client.post(f"/results/{other_record.id}/entry", data={"action": "save", "csrf_token": token}).status_code == 403
    assert client.post(f"/results/{other_record.id}/report", data={"csrf_token": token}).status_code == 403
    # The department's pages are the clerks' (officer account), not the inspector's.
    for url in ("/results/", "/campaigns/", f"/campaigns/{campaign.id}", "/inspectors", "/subjects", "/stats/"):
        assert client.get(url).status_code == 403, url


def test_a_recused_inspector_loses_the_task(client, dispatched):
    county, campaign = dispatched
    cs = next(cs for cs in campaign.subjects if cs.active_members)
    member = next(m for m in cs.active_members if not m.is_leader)
    account_for(member.inspector)
    member.recused_at = today()
    db.session.commit()
    sign_in(client, f"acct{member.inspector_id}")
    assert client.get(f"/results/{cs.record.id}").status_code == 403


def test_the_leader_sees_what_each_department_still_owes(client, dispatched):
    county, campaign = dispatched
    cs = next(cs for cs in campaign.subjects if cs.active_members)
    record = cs.record
    yjj_part = record.department_result(county["yjj"].id)
    services.save_department_result(record, county["yjj"].id, entry_for(yjj_part), county["users"]["yjj_admin"],
                                    submit=True)
    db.session.commit()
    leader = account_for(cs.leader.inspector)
    sign_in(client, leader.username)
    page = client.get("/tasks/").get_data(as_text=True)
    block = page[page.index(f'id="task-{cs.id}"'):]
    block = block[:block.index("</section>")]
    assert "催办：市场监督管理局尚未提交本部门结果" in block
    assert re.search(r"市场监督管理局 <span class=\"badge text-bg-warning\">未提交", block)
    assert re.search(r"应急管理局 <span class=\"badge text-bg-success\">已提交", block)
    detail = client.get(f"/results/{record.id}").get_data(as_text=True)
    assert "尚未提交本部门结果" in detail


def test_task_list_puts_due_today_and_overdue_first(dispatched):
    county, campaign = dispatched
    from coordinator.tasks import services as tasks

    subjects = [cs for cs in campaign.subjects if cs.active_members]
    me = subjects[0].active_members[0].inspector
    user = account_for(me)
    mine = [cs for cs in subjects if me.id in {m.inspector_id for m in cs.active_members}]
    assert len(mine) >= 2
    on = date(2024, 6, 20)
    late = max(mine, key=lambda cs: cs.visit_date)
    for cs in mine:
        cs.record.report_due_on = on + timedelta(days=5)
    late.record.report_due_on = on - timedelta(days=1)
    db.session.commit()
    listed = tasks.assignments(user, on, lambda *a, **k: "#")
    assert listed[0].cs.id == late.id and listed[0].urgent(on)
    assert all(not a.urgent(on) for a in listed[1:])


def test_the_leader_still_owes_the_report_of_a_record_published_without_it(dispatched):
    """A record published before publication required the report stays on its 组长's list until it is written;
    the other members see it among the finished ones."""
    county, campaign = dispatched
    from coordinator.tasks import services as tasks
    from coordinator.timeutil import now

    cs = next(cs for cs in campaign.subjects if len(cs.active_members) >= 2)
    submit_all(cs.record, county["users"])
    cs.record.status, cs.record.published_at = RecordStatus.PUBLISHED, now()  # as the old code let it be published
    db.session.commit()
    member = next(m for m in cs.active_members if not m.is_leader)
    leader, other = account_for(cs.leader.inspector), account_for(member.inspector)

    def listed(user, **finished):
        return {a.cs.id: a for a in tasks.assignments(user, today(), lambda *a, **k: "#", **finished)}

    assert [d.text for d in listed(leader)[cs.id].duties] == ["形成检查报告"] and cs.id not in listed(leader, finished=True)
    assert cs.id not in listed(other) and cs.id in listed(other, finished=True)
    services.write_report(cs.record, "良好", "无需处理", county["users"]["yjj_admin"])
    db.session.commit()
    assert cs.id not in listed(leader) and cs.id in listed(leader, finished=True)


# ---- 3. seed 003's deadlines ------------------------------------------------------------------------------

# 2024: National Day holiday 1–7 October; Sunday 29 September and Saturday 12 October are make-up working days.


def test_report_due_one_working_day_after_the_visit_across_a_holiday(dispatched):
    _county, campaign = dispatched
    assert campaign.report_due(date(2024, 9, 30)) == date(2024, 10, 8)
    assert campaign.report_due(date(2024, 9, 27)) == date(2024, 9, 29)  # the make-up Sunday counts
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    record.inspected_on = date(2024, 9, 30)
    record.reschedule()
    assert record.report_due_on == date(2024, 10, 8)


def test_feedback_due_one_working_day_after_the_report_across_a_holiday(dispatched):
    _county, campaign = dispatched
    assert campaign.feedback_due(date(2024, 9, 30)) == date(2024, 10, 8)
    assert campaign.feedback_due(date(2024, 10, 11)) == date(2024, 10, 12)  # the make-up Saturday


@pytest.mark.parametrize(("mode", "days", "due"), [
    (DayMode.NATURAL, 10, date(2024, 10, 7)),   # seed 003: 10 days, the holiday counted
    (DayMode.WORKING, 20, date(2024, 10, 30)),  # seed 004: 20 working days, the holiday skipped
    (DayMode.WORKING, 10, date(2024, 10, 16)),  # both make-up days count
])
def test_publication_due_in_either_day_mode_across_a_holiday(dispatched, mode, days, due):
    _county, campaign = dispatched
    campaign.publication_day_mode, campaign.publication_days = mode, days
    assert campaign.publication_due(date(2024, 9, 27)) == due
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    record.inspected_on = date(2024, 9, 27)
    record.reschedule()
    assert record.due_on == due


def test_the_report_and_notice_run_their_deadlines(client, dispatched):
    county, campaign = dispatched
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    with pytest.raises(services.ResultError, match="各部门结果提交后"):
        services.write_report(record, "良好", "无需处理", county["users"]["yjj_admin"])
    submit_all(record, county["users"], inspected_on=date(2024, 9, 30))
    assert record.report_due_on == date(2024, 10, 8) and record.feedback_due_on is None
    services.write_report(record, "安全管理制度基本健全", "无需后续处理", county["users"]["yjj_admin"])
    assert record.reported_on == today() and record.feedback_due_on == campaign.feedback_due(today())
    with pytest.raises(services.ResultError, match="晚于今天"):
        services.record_notice(record, today() + timedelta(days=1))
    services.record_notice(record, today())
    db.session.commit()
    kinds = {d.kind: d for d in record.deadlines()}
    assert kinds["report"].done_on == today() and kinds["feedback"].done_on == today()
    assert kinds["publication"].overdue(today())  # published by 2024: long past


# ---- 6. what the visit learns goes back ---------------------------------------------------------------------


def test_the_address_found_on_site_corrects_the_directory_once_published(client, dispatched):
    county, campaign = dispatched
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    subject = record.campaign_subject.subject
    registered = subject.address
    submit_all(record, county["users"], inspected_on=date(2024, 6, 12), found_address="河清县工业园区纬三路8号",
               found_contact="王经理", found_phone="13900001111")
    db.session.commit()
    assert subject.operating_address == ""  # not before publication
    report_and_publish(record, county["users"]["yjj_admin"])
    db.session.commit()
    assert subject.address == registered  # the registered address stays: it is the register's
    assert (subject.operating_address, subject.operating_contact, subject.operating_phone) == (
        "河清县工业园区纬三路8号", "王经理", "13900001111")
    assert f"第{record.id}号" in subject.operating_source and subject.operating_on == date(2024, 6, 12)
    assert subject.best_address == "河清县工业园区纬三路8号"
    assert subject.best_contact == ("王经理", "13900001111")
    sign_in(client, "scj_officer")
    page = client.get(f"/subjects/{subject.id}").get_data(as_text=True)
    assert "河清县工业园区纬三路8号" in page and f"第{record.id}号" in page and registered in page


def test_the_task_list_shows_the_best_known_address(client, dispatched):
    county, campaign = dispatched
    cs = next(cs for cs in campaign.subjects if cs.active_members)
    cs.subject.operating_address = "河清县实际经营路1号"
    db.session.commit()
    account = account_for(cs.leader.inspector)
    sign_in(client, account.username)
    page = client.get("/tasks/").get_data(as_text=True)
    assert "河清县实际经营路1号" in page and "现场核实的实际经营地址" in page


# ---- 8. result dates are real ---------------------------------------------------------------------------------


def test_no_inspection_date_in_the_future(dispatched):
    county, _campaign = dispatched
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    part = record.department_result(county["yjj"].id)
    with pytest.raises(services.ResultError, match="不能填写将来的日期"):
        services.save_department_result(record, county["yjj"].id,
                                        entry_for(part, inspected_on=today() + timedelta(days=1)),
                                        county["users"]["yjj_admin"], submit=False)


def test_no_publication_before_the_visit(dispatched):
    county, _campaign = dispatched
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    submit_all(record, county["users"])
    record.campaign_subject.visit_date = today() + timedelta(days=3)  # planned, not yet visited
    record.inspected_on = None
    with pytest.raises(services.ResultError, match="检查之前不能公示"):
        services.publish(record, county["users"]["yjj_admin"])
    assert record.published_at is None


def test_no_result_handed_in_before_the_visit(client, dispatched):
    """A partner hands in its part only once the visit has happened; before it, it may only save a draft."""
    county, _campaign = dispatched
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    record.campaign_subject.visit_date, record.inspected_on = today() + timedelta(days=1), None
    db.session.commit()
    scj = county["scj"].id
    part = record.department_result(scj)
    with pytest.raises(services.ResultError, match=r"检查日期\d{4}-\d{2}-\d{2}还没到，检查之后才能提交结果"):
        services.save_department_result(record, scj, entry_for(part), county["users"]["scj_officer"], submit=True)
    db.session.rollback()
    services.save_department_result(record, scj, entry_for(part), county["users"]["scj_officer"], submit=False)
    db.session.commit()
    assert part.submitted_at is None
    # The page does not offer 提交 before the visit, and a forged hand-in is refused in words.
    sign_in(client, "scj_officer")
    page = client.get(f"/results/{record.id}/entry").get_data(as_text=True)
    assert 'value="submit"' not in page and "检查之后才能提交结果" in page and 'value="save"' in page
    form = {"csrf_token": csrf_token_from(page), "action": "submit", "follow_ups": "无需后续处置",
            **{f"result-{ci.id}": "未发现问题" for ci in services.items_for(part)}}
    refused = client.post(f"/results/{record.id}/entry", data=form).get_data(as_text=True)
    assert "检查之后才能提交结果" in refused
    db.session.refresh(part)
    assert part.submitted_at is None
    # On the visit day it is offered and accepted.
    record.campaign_subject.visit_date = today()
    db.session.commit()
    page = client.get(f"/results/{record.id}/entry").get_data(as_text=True)
    assert 'value="submit"' in page
    form["csrf_token"] = csrf_token_from(page)
    client.post(f"/results/{record.id}/entry", data=form)
    db.session.refresh(part)
    assert part.submitted_at is not None


# ---- 3. the deadlines on the workbench of whoever owes them ---------------------------------------------------


def test_deadlines_sit_on_the_lead_departments_workbench_overdue_in_red_and_listed(client, dispatched):
    county, campaign = dispatched
    records = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).all()
    submit_all(records[0], county["users"], inspected_on=date(2024, 6, 12))  # visited in 2024: report long overdue
    db.session.commit()
    sign_in(client, "yjj_admin")
    page = client.get("/").get_data(as_text=True)
    late_report = r'<span class="tag bad">逾期</span> <a href="/results/\?todo=report&amp;overdue=1">形成\d+户的检查报告'
    assert re.search(late_report, page)
    assert "超过公示期限仍未公示" in page
    listed = client.get("/results/?todo=report&overdue=1").get_data(as_text=True)
    assert records[0].campaign_subject.subject.name in listed
    # Not the partner's: scj owes its results, not the report.
    client.post("/logout", data={"csrf_token": csrf_token_from(page)})
    sign_in(client, "scj_admin")
    assert "检查报告" not in client.get("/").get_data(as_text=True).split("待办事项")[1].split("</section>")[0]


def test_a_reported_record_owes_its_notice_until_delivered(client, dispatched):
    county, campaign = dispatched
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    submit_all(record, county["users"], inspected_on=date(2024, 6, 12))
    services.write_report(record, "良好", "无需处理", county["users"]["yjj_admin"])
    db.session.commit()
    from coordinator.results import deadlines

    owed = deadlines.counts(today(), county["yjj"].id)[county["yjj"].id]
    total = db.session.scalar(sa.select(sa.func.count()).select_from(InspectionRecord))
    assert owed["feedback"] == 1 and owed["report"] == total - 1  # this one's report is made
    sign_in(client, "yjj_officer")
    notice = client.get(f"/results/{record.id}/notice").get_data(as_text=True)
    assert "检查结果告知书" in notice and "良好" in notice
    client.post(f"/results/{record.id}/notice", data={"notified_on": today().isoformat(),
                                                      "csrf_token": csrf_token_from(notice)})
    db.session.expire_all()
    assert db.session.get(InspectionRecord, record.id).notified_on == today()
    assert not deadlines.counts(today(), county["yjj"].id).get(county["yjj"].id, {}).get("feedback")


def test_campaign_settings_set_the_publication_limit(client, dispatched):
    county, campaign = dispatched
    campaign.publication_days, campaign.publication_day_mode = 10, DayMode.NATURAL
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    submit_all(record, county["users"], inspected_on=date(2024, 9, 27))
    assert record.due_on == date(2024, 10, 7)
    sign_in(client, "yjj_admin")
    page = client.get(f"/results/{record.id}").get_data(as_text=True)
    assert "检查后10个自然日公示" in page and "2024-10-07" in page


# ---- 5. the lead department agrees or moves the visit date --------------------------------------------------


def _future_campaign(dispatched):
    """The dispatched campaign moved a year ahead, so its visits are still to come."""
    county, campaign = dispatched
    shift = timedelta(days=(today().year + 1 - 2024) * 364)  # whole weeks: weekdays stay weekdays
    campaign.visit_start, campaign.visit_end = campaign.visit_start + shift, campaign.visit_end + shift
    for cs in campaign.subjects:
        if cs.visit_date:
            cs.visit_date += shift
    for record in db.session.scalars(sa.select(InspectionRecord)):
        record.reschedule()
    db.session.commit()
    return county, campaign


def test_a_moved_visit_date_is_refused_when_a_member_is_unavailable(dispatched):
    from coordinator.visits import services as visits

    county, campaign = _future_campaign(dispatched)
    cs = next(cs for cs in campaign.subjects if cs.active_members)
    day = next(campaign.visit_start + timedelta(days=k) for k in range(30)
               if campaign.visit_start + timedelta(days=k) != cs.visit_date)
    absent = cs.active_members[-1].inspector
    absent.unavailable = [day.isoformat()]
    db.session.commit()
    with pytest.raises(visits.VisitError, match=f"{absent.name}.*不可用"):
        visits.set_visit(cs, day, county["users"]["yjj_admin"])
    with pytest.raises(visits.VisitError, match="检查时段"):
        visits.set_visit(cs, campaign.visit_end + timedelta(days=1), county["users"]["yjj_admin"])
    assert cs.visit_moved_from is None


def test_a_moved_visit_date_is_refused_beyond_a_members_daily_capacity(dispatched):
    from coordinator.visits import services as visits

    county, campaign = _future_campaign(dispatched)
    member = next(cs for cs in campaign.subjects if cs.active_members).active_members[0]
    visits_of = sorted((m.campaign_subject for m in db.session.scalars(
        sa.select(type(member)).where(type(member).inspector_id == member.inspector_id,
                                      type(member).recused_at.is_(None)))), key=lambda cs: cs.visit_date)
    busy_day = visits_of[0].visit_date
    others = [cs for cs in visits_of if cs.visit_date != busy_day]
    campaign.daily_capacity = len([cs for cs in visits_of if cs.visit_date == busy_day])
    db.session.commit()
    assert others, "the inspector needs a second visit on another day"
    with pytest.raises(visits.VisitError, match="达到每人每天最多"):
        visits.set_visit(others[0], busy_day, county["users"]["yjj_admin"])


def test_a_moved_visit_is_recorded_and_the_team_sees_it(client, dispatched):
    from coordinator.audit.models import AuditEntry

    county, campaign = _future_campaign(dispatched)
    cs = next(cs for cs in campaign.subjects if cs.active_members)
    free = next(campaign.visit_start + timedelta(days=k) for k in range(1, 30)
                if campaign.visit_start + timedelta(days=k) != cs.visit_date
                and (campaign.visit_start + timedelta(days=k)).weekday() < 5
                and not any(m.inspector.unavailable for m in cs.active_members))
    old = cs.visit_date
    sign_in(client, "yjj_admin")
    page = client.get(f"/campaigns/{campaign.id}/visits?todo=agree").get_data(as_text=True)
    assert cs.subject.name in page
    assert "确认" in client.get("/").get_data(as_text=True)
    client.post(f"/campaigns/{campaign.id}/visits/{cs.id}",
                data={"visit_date": free.isoformat(), "csrf_token": csrf_token_from(page)})
    db.session.expire_all()
    cs = db.session.get(CampaignSubject, cs.id)
    assert (cs.visit_date, cs.visit_moved_from) == (free, old) and cs.visit_agreed_at is not None
    assert cs.record.report_due_on == campaign.report_due(free)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "move_visit")) == 1
    # Every member is told on its task list.
    client.post("/logout", data={"csrf_token": csrf_token_from(page)})
    member = account_for(cs.active_members[-1].inspector)
    sign_in(client, member.username)
    tasks = client.get("/tasks/").get_data(as_text=True)
    assert f"已改期，原定 {old:%Y-%m-%d}" in tasks


def test_visit_dates_read_in_the_audit_log_as_sentences(client, dispatched):
    """An agreed and a moved date each read as one sentence: who, which enterprise, the old and the new date."""
    from coordinator.visits import services as visits

    county, campaign = _future_campaign(dispatched)
    staffed = [cs for cs in campaign.subjects if cs.active_members]
    agreed, moved = staffed[0], next(cs for cs in staffed[1:] if not any(m.inspector.unavailable
                                                                          for m in cs.active_members))
    county["users"]["yjj_admin"].display_name = "应急局李管理员"
    visits.set_visit(agreed, agreed.visit_date, county["users"]["yjj_admin"])
    old = moved.visit_date
    new = next(campaign.visit_start + timedelta(days=k) for k in range(30)
               if campaign.visit_start + timedelta(days=k) != old
               and not visits.clashes(moved, campaign.visit_start + timedelta(days=k)))
    visits.set_visit(moved, new, county["users"]["yjj_admin"])
    db.session.commit()
    sign_in(client, "office")
    page = client.get("/audit/?entity=campaign_subject").get_data(as_text=True)
    shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert (f"应急局李管理员确认了抽取的检查对象“{agreed.subject.name}”的检查日期 {agreed.visit_date:%Y-%m-%d}"
            in shown)
    assert (f"应急局李管理员把抽取的检查对象“{moved.subject.name}”的检查日期由 {old:%Y-%m-%d} 调整为 {new:%Y-%m-%d}"
            in shown)
    assert "yjj_admin" not in shown


def test_the_visit_dates_page_is_paged_searched_and_keeps_its_place(app, client, dispatched, monkeypatch):
    county, campaign = _future_campaign(dispatched)
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)  # the app is the session's: put it back after
    staffed = sorted((cs for cs in campaign.subjects if cs.active_members), key=lambda cs: (cs.visit_date, cs.subject.name))
    assert len(staffed) > 3
    sign_in(client, "yjj_admin")
    cards = r'<section class="card h-100" id="visit-(\d+)">'
    first = client.get(f"/campaigns/{campaign.id}/visits?todo=all").get_data(as_text=True)
    second = client.get(f"/campaigns/{campaign.id}/visits?todo=all&page=2").get_data(as_text=True)
    assert [int(i) for i in re.findall(cards, first)] == [cs.id for cs in staffed[:3]]
    assert [int(i) for i in re.findall(cards, second)] == [cs.id for cs in staffed[3:6]]
    assert f"共 {len(staffed)} 条" in first and f'href="/campaigns/{campaign.id}/visits?todo=all&amp;page=2"' in first
    # The search keeps the filter, and the pager keeps both.
    wanted = staffed[4]
    found = client.get(f"/campaigns/{campaign.id}/visits?todo=all&q={wanted.subject.name}").get_data(as_text=True)
    assert [int(i) for i in re.findall(cards, found)] == [wanted.id]
    by_code = client.get(f"/campaigns/{campaign.id}/visits?todo=all&q={wanted.subject.credit_code.lower()}")
    assert [int(i) for i in re.findall(cards, by_code.get_data(as_text=True))] == [wanted.id]
    assert 'name="todo" value="all"' in found
    # Agreeing a date on page 2 comes back to page 2 of the same view.
    action = re.search(rf'action="(/campaigns/{campaign.id}/visits/{staffed[3].id}[^"]*)"', second).group(1)
    assert "page=2" in action and "todo=all" in action
    back = client.post(action.replace("&amp;", "&"), data={"visit_date": staffed[3].visit_date.isoformat(),
                                                          "csrf_token": csrf_token_from(second)})
    assert back.location.endswith(f"/campaigns/{campaign.id}/visits?todo=all&page=2")
    # What is left to agree is paged the same way, and an emptied last page falls back to the one before.
    waiting = client.get(f"/campaigns/{campaign.id}/visits?todo=agree&page=99").get_data(as_text=True)
    assert re.findall(cards, waiting) and f"待确认（{len(staffed) - 1}）" in waiting


def test_only_the_lead_departments_admin_agrees_dates(client, dispatched):
    county, campaign = dispatched
    sign_in(client, "scj_admin")
    assert client.get(f"/campaigns/{campaign.id}/visits").status_code == 403
    client.post("/logout")
    sign_in(client, "yjj_officer")
    assert client.get(f"/campaigns/{campaign.id}/visits").status_code == 403


def test_every_link_on_an_inspectors_pages_opens(client, dispatched):
    """The inspector's pages link only to what its account may open: no link leads to a 403."""
    _county, campaign = dispatched
    cs = next(cs for cs in campaign.subjects if cs.active_members)
    account = account_for(cs.leader.inspector)
    sign_in(client, account.username)
    pages = ["/tasks/", f"/results/{cs.record.id}", f"/results/{cs.record.id}/entry", f"/results/{cs.record.id}/notice"]
    seen = set()
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        seen |= {href for href in re.findall(r'<a[^>]+href="(/[^"#]*)"', html) if not href.startswith("/static/")}
    refused = {href for href in seen if client.get(href.replace("&amp;", "&")).status_code == 403}
    assert not refused and len(seen) > 5


def test_an_inspectors_account_is_made_only_from_the_directory(runner, client, dispatched):
    """Neither the command line nor the office's account form makes an inspector's account without its inspector."""
    result = runner.invoke(args=["create-user", "loose", "--name", "某人", "--role", "inspector",
                                 "--department", "yjj", "--password", "Passw0rd1"])
    assert result.exit_code == 2 and "无效" in result.output
    sign_in(client, "office")
    client.post("/admin/users/new", data={"username": "loose", "display_name": "某人", "role": "inspector",
                                          "department_id": dispatched[0]["yjj"].id, "password": "Passw0rd1x",
                                          "active": "y"})
    assert db.session.scalar(sa.select(User).where(User.username == "loose")) is None
