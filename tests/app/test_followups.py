"""Follow-up to closure for every kind (seed 002: 后续处置无例外): each through its steps to closure and to overdue,
deadlines in working days across National Day 2024, a transfer reaching the receiving department only."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from coordinator.extensions import db
from coordinator.followups import services as followups
from coordinator.followups.models import FollowUp
from coordinator.results import services
from coordinator.results.models import InspectionRecord
from coordinator.states import CaseOutcome, FollowUpKind, FollowUpStatus, RecordStatus
from coordinator.stats import services as stats
from coordinator.timeutil import today
from tests.app.county import PASSWORD, build_county, dispatched_county_campaign, report_and_publish

S = FollowUpStatus
FRIDAY = date(2024, 9, 27)  # before National Day: 1–7 Oct off, Sun 29 Sep and Sat 12 Oct are make-up working days


@pytest.fixture
def dispatched(ctx):
    county = build_county()
    return county, dispatched_county_campaign(county)


def published(county, follow_ups: list[str], *, on: date = FRIDAY, transfer_to: str = "市场监督管理局",
              rectify_by: date = date(2024, 10, 15)) -> InspectionRecord:
    """A record whose 应急管理局 result orders `follow_ups`, published on `on`."""
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    users = county["users"]
    for part in record.department_results:
        ours = part.department.code == "yjj"
        items = [services.ItemEntry(ci.id, "发现问题待后续处理" if ours else "未发现问题", int(ours),
                                    "隐患" if ours else "") for ci in services.items_for(part)]
        entry = services.ResultEntry(items=items, follow_ups=follow_ups if ours else ["无需后续处置"],
                                     transfer_to=transfer_to, rectify_by=rectify_by)
        services.save_department_result(record, part.department_id, entry,
                                        users["yjj_admin" if ours else "scj_officer"], submit=True)
    record.status, record.published_at = RecordStatus.PUBLISHED, datetime.combine(on, time(10))
    followups.open_for(record)
    db.session.commit()
    return record


def the(record, kind: FollowUpKind) -> FollowUp:
    return next(f for p in record.department_results for f in p.follow_up_rows if f.kind is kind)


def step(follow_up, name, on, **values):
    return followups.advance(follow_up, name, followups.StepInput(on=on, **values))


def owed(on: date) -> dict[str, dict]:
    return {r["department"]: r for r in services.due_summary(on=on)}


def test_publication_opens_one_follow_up_per_kind_that_runs_to_closure(dispatched):
    county, _campaign = dispatched
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    for part in record.department_results:
        items = [services.ItemEntry(ci.id, "发现问题已责令改正", 1, "灭火器过期") for ci in services.items_for(part)]
        services.save_department_result(record, part.department_id, services.ResultEntry(
            items=items, follow_ups=["责令改正", "行政指导"], rectify_by=date(2024, 7, 1)),
            county["users"]["office"], submit=True)
    report_and_publish(record, county["users"]["office"])
    kinds = [(f.department_id, f.kind, f.status, f.due_on, f.started_on) for p in record.department_results
             for f in p.follow_up_rows]
    assert kinds == [(p.department_id, FollowUpKind.RECTIFICATION, S.ORDERED, date(2024, 7, 1), today())
                     for p in record.department_results]  # 行政指导 ends on the spot: no follow-up
    assert followups.open_for(record) == []  # idempotent


def test_rectification_report_recheck_reorder_and_closing_with_working_days(dispatched):
    county, _campaign = dispatched
    record = published(county, ["责令改正"], rectify_by=date(2024, 10, 8))
    rectification = the(record, FollowUpKind.RECTIFICATION)
    assert (rectification.status, rectification.due_on) == (S.ORDERED, date(2024, 10, 8))
    assert owed(date(2024, 10, 9))["应急管理局"]["follow_ups_overdue"] == 1  # no report by the notice's deadline
    assert owed(date(2024, 10, 8))["应急管理局"]["follow_ups_overdue"] == 0
    with pytest.raises(followups.FollowUpError, match="晚于今天"):
        step(rectification, "report", today() + timedelta(days=1))
    with pytest.raises(followups.FollowUpError, match="早于上一步"):
        step(rectification, "report", FRIDAY - timedelta(days=1))
    with pytest.raises(followups.FollowUpError, match="不能"):
        step(rectification, "recheck", FRIDAY, passed=True)
    step(rectification, "report", FRIDAY)
    # re-inspection within 10 working days of the report: across National Day, not 7 Oct
    assert (rectification.status, rectification.due_on) == (S.REPORTED, date(2024, 10, 16))
    assert rectification.overdue(date(2024, 10, 17)) and not rectification.overdue(date(2024, 10, 16))
    with pytest.raises(followups.FollowUpError, match="新整改期限"):
        step(rectification, "recheck", date(2024, 10, 9), passed=False)
    step(rectification, "recheck", date(2024, 10, 9), passed=False, rectify_by=date(2024, 10, 31))
    assert (rectification.status, rectification.due_on, rectification.reorders) == (S.ORDERED, date(2024, 10, 31), 1)
    step(rectification, "report", date(2024, 10, 30))
    step(rectification, "recheck", date(2024, 11, 4), passed=True, note="整改到位")
    assert (rectification.status, rectification.closed_on, rectification.due_on) == (S.CLOSED, date(2024, 11, 4), None)
    assert not rectification.overdue(date(2099, 1, 1))
    assert "应急管理局" not in owed(date(2099, 1, 1)) or owed(date(2099, 1, 1))["应急管理局"]["follow_ups_open"] == 0


def test_case_number_then_outcome_and_the_dashboard_counts_penalties(dispatched):
    county, _campaign = dispatched
    record = published(county, ["立案调查"])
    case = the(record, FollowUpKind.CASE)
    assert (case.status, case.due_on) == (S.TO_FILE, date(2024, 10, 23))  # 15 working days across the holiday
    assert case.overdue(date(2024, 10, 24))
    assert owed(date(2024, 10, 24))["应急管理局"]["follow_ups_overdue"] == 1
    with pytest.raises(followups.FollowUpError, match="立案号"):
        step(case, "file", date(2024, 10, 8))
    step(case, "file", date(2024, 10, 8), case_number="河应急立〔2024〕7号")
    assert (case.status, case.due_on) == (S.INVESTIGATING, date(2025, 1, 6))  # 90 natural days
    with pytest.raises(followups.FollowUpError, match="理由"):
        step(case, "decide", date(2024, 11, 1), outcome="no_penalty")
    with pytest.raises(followups.FollowUpError, match="不是数字"):
        step(case, "decide", date(2024, 11, 1), outcome="penalty", penalty="五千")
    step(case, "decide", date(2024, 11, 1), outcome="penalty", penalty="5,000", note="警告并处罚款")
    assert (case.status, case.outcome, case.penalty_yuan) == (S.CLOSED, CaseOutcome.PENALTY, Decimal("5000.00"))
    db.session.commit()
    year = record.visit_day.year
    dashboard = stats.dashboard(year)
    assert (dashboard["penalties"], dashboard["penalty_yuan"]) == (1, Decimal("5000"))
    assert dashboard["case_filed"] == 1  # the form counts 立案调查 from the same record


@pytest.mark.parametrize("outcome", ["no_penalty", "withdrawn"])
def test_a_case_ends_without_a_penalty_with_its_reason(dispatched, outcome):
    county, _campaign = dispatched
    case = the(published(county, ["立案调查"]), FollowUpKind.CASE)
    step(case, "file", FRIDAY, case_number="7")
    step(case, "decide", date(2024, 10, 9), outcome=outcome, note="违法行为轻微并及时改正")
    assert case.status is S.CLOSED and case.outcome == outcome and case.penalty_yuan is None


def test_a_transfer_reaches_the_receiving_departments_queue_and_no_one_elses(app, dispatched):
    county, _campaign = dispatched
    record = published(county, ["移送其他部门"])
    transfer = the(record, FollowUpKind.TRANSFER)
    scj, yjj = county["scj"], county["yjj"]
    assert (transfer.status, transfer.to_department_id, transfer.owner_id) == (S.SENT, scj.id, scj.id)
    assert transfer.due_on == date(2024, 10, 10)  # 5 working days
    queue = db.session.scalars(followups.listing(scj.id, incoming=True)).all()
    assert queue == [transfer]
    assert db.session.scalars(followups.listing(scj.id, owed=True)).all() == [transfer]
    assert db.session.scalars(followups.listing(yjj.id, owed=True)).all() == []  # the receiver owes the answer
    assert db.session.scalars(followups.listing(county["hbj"].id)).all() == []
    late = owed(date(2024, 10, 11))
    assert late["市场监督管理局"]["transfers_in"] == 1 and late["市场监督管理局"]["follow_ups_overdue"] == 1

    def client(username):
        c = app.test_client()
        c.post("/login", data={"username": username, "password": PASSWORD})
        return c

    assert client("hbj_admin").get(f"/follow-ups/{transfer.id}").status_code == 403
    assert client("hbj_admin").post(f"/follow-ups/{transfer.id}", data={"step": "answer", "on": "2024-10-08",
                                                                             "accept": "1"}).status_code == 403
    assert client("yjj_admin").post(f"/follow-ups/{transfer.id}", data={"step": "answer", "on": "2024-10-08",
                                                                             "accept": "1"}).status_code == 403
    scj_officer = client("scj_officer")
    page = scj_officer.get("/follow-ups/?view=incoming").data.decode()
    assert record.campaign_subject.subject.name in page
    assert "接收或退回1项其他部门移送的案件" in scj_officer.get("/").data.decode()
    scj_officer.post(f"/follow-ups/{transfer.id}", data={"step": "answer", "on": "2024-10-08", "accept": "1"})
    db.session.expire_all()
    transfer = db.session.get(FollowUp, transfer.id)
    assert (transfer.status, transfer.owner_id, transfer.due_on) == (S.ACCEPTED, scj.id, date(2025, 1, 6))
    scj_officer.post(f"/follow-ups/{transfer.id}", data={"step": "conclude", "on": "2024-10-20", "note": "已责令停止违法行为"})
    db.session.expire_all()
    transfer = db.session.get(FollowUp, transfer.id)
    assert (transfer.status, transfer.closed_on, transfer.result_note) == (S.CLOSED, date(2024, 10, 20),
                                                                           "已责令停止违法行为")


def test_a_returned_transfer_goes_back_to_the_sender_with_its_reason(dispatched):
    county, _campaign = dispatched
    transfer = the(published(county, ["移送其他部门"]), FollowUpKind.TRANSFER)
    with pytest.raises(followups.FollowUpError, match="退回理由"):
        step(transfer, "answer", date(2024, 10, 8), accept=False)
    step(transfer, "answer", date(2024, 10, 8), accept=False, reason="不属于本部门管辖")
    assert (transfer.status, transfer.owner_id, transfer.return_reason) == (S.RETURNED, county["yjj"].id,
                                                                            "不属于本部门管辖")
    assert transfer.due_on == date(2024, 10, 21) and transfer.overdue(date(2024, 10, 22))  # 12 Oct a working day
    step(transfer, "conclude", date(2024, 10, 21), note="由本局依法处理")
    assert transfer.status is S.CLOSED


def test_a_transfer_outside_the_county_system_is_answered_by_the_sender(dispatched):
    county, _campaign = dispatched
    transfer = the(published(county, ["移送其他部门"], transfer_to="市住房和城乡建设局"), FollowUpKind.TRANSFER)
    assert transfer.to_department_id is None and transfer.owner_id == county["yjj"].id
    assert transfer.receiver == "市住房和城乡建设局"


def test_abnormal_list_listed_then_removed(dispatched):
    county, _campaign = dispatched
    listing = the(published(county, ["列入经营异常名录"]), FollowUpKind.ABNORMAL_LIST)
    assert (listing.status, listing.due_on) == (S.TO_LIST, date(2024, 10, 16))  # 10 working days
    assert owed(date(2024, 10, 17))["应急管理局"]["follow_ups_overdue"] == 1
    step(listing, "list", date(2024, 10, 14))
    assert (listing.status, listing.listed_on) == (S.LISTED, date(2024, 10, 14))
    assert not listing.overdue(date(2025, 1, 1)) and listing.overdue(date(2027, 10, 15))
    step(listing, "remove", date(2024, 12, 2), note="已履行公示义务，申请移出")
    assert (listing.status, listing.removed_on, listing.result_note) == (S.CLOSED, date(2024, 12, 2), "已履行公示义务，申请移出")


def test_judicial_transfer_then_receipt(dispatched):
    county, _campaign = dispatched
    judicial = the(published(county, ["移送司法机关"]), FollowUpKind.JUDICIAL)
    assert (judicial.status, judicial.due_on) == (S.TO_TRANSFER, date(2024, 10, 8))  # 3 working days, not 30 Sep
    assert judicial.overdue(date(2024, 10, 9)) and not judicial.overdue(date(2024, 10, 1))
    step(judicial, "transfer", date(2024, 9, 30))
    assert (judicial.status, judicial.due_on) == (S.TRANSFERRED, date(2024, 10, 10))
    step(judicial, "receipt", date(2024, 10, 8), note="县公安局签收")
    assert (judicial.status, judicial.receipt_on, judicial.result_note) == (S.CLOSED, date(2024, 10, 8), "县公安局签收")


def test_the_follow_up_pages_walk_every_step_for_its_department(app, dispatched):
    county, _campaign = dispatched
    record = published(county, ["责令改正", "立案调查", "列入经营异常名录", "移送司法机关"])
    client = app.test_client()
    client.post("/login", data={"username": "yjj_officer", "password": PASSWORD})
    page = client.get("/follow-ups/?view=overdue").data.decode()
    assert page.count("逾期") >= 4
    workbench = client.get("/").data.decode()
    assert "4项后续处置已逾期" in workbench
    case = the(record, FollowUpKind.CASE)
    detail = client.get(f"/follow-ups/{case.id}").data.decode()
    assert "立案号" in detail and "data-confirm" in detail
    response = client.post(f"/follow-ups/{case.id}", data={"step": "file", "on": "2024-10-08", "case_number": "立〔2024〕3号"},
                           follow_redirects=True)
    assert "已立案" in response.data.decode()
    response = client.post(f"/follow-ups/{case.id}", data={"step": "file", "on": "2024-10-08", "case_number": "x"},
                           follow_redirects=True)
    assert "不能" in response.data.decode()  # the step was taken: no second filing
    record_page = client.get(f"/results/{record.id}").data.decode()
    assert "立〔2024〕3号" in record_page
    assert client.get("/follow-ups/999999").status_code == 404
