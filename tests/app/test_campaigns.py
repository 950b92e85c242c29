"""The joint campaign end to end, by the roles that do each step, and each step refused to the others."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from coordinator.campaigns import rules, services
from coordinator.campaigns.models import Campaign, CampaignSubject, Draw, TeamMember
from coordinator.campaigns.services import draws
from coordinator.directories.models import Conflict, Subject
from coordinator.extensions import db
from coordinator.items.models import Item
from coordinator.states import CampaignStatus, Decision, DrawKind, DrawnStatus, SubjectStatus
from coordinator.workdays import deadline_after
from solver import canonical_json
from tests.app.county import (
    PASSWORD,
    build_county,
    campaign_values,
    confirm_all,
    drawn_campaign,
    submit_all_items,
)
from tests.app.seeding import web_round


@pytest.fixture
def county(ctx):
    return build_county()


def client_for(app, username):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code in (302, 303)
    return client


CAMPAIGN_FORM = {
    "name": "2024年度河清县应急管理领域部门联合抽查", "field": "应急管理领域", "plan_task_id": "0",
    "period_start": "2024-05-27", "period_end": "2024-07-31", "items_deadline": "2024-05-31",
    "visit_start": "2024-06-11", "visit_end": "2024-06-28", "industries": ["危险化学品", "工贸"],
    "strata-0-name": "全部", "strata-0-category": "*", "strata-0-crowded": "", "strata-0-mode": "ratio",
    "strata-0-value": "0.5",
    **{f"strata-{i}-{k}": v for i in range(1, 6) for k, v in
       (("name", ""), ("category", "*"), ("crowded", ""), ("mode", "ratio"), ("value", ""))},
    "weight_a": "0.5", "weight_b": "1", "weight_c": "1.5", "weight_d": "2", "weight_none": "1",
    "expertise_industries": "危险化学品", "burden_months": "12", "team_size": "2", "inspector_capacity": "10",
    "daily_capacity": "2", "max_pair_probability": "0.6",
}


def test_the_whole_workflow_by_the_roles_that_do_it(app, county):
    office, yjj, scj = (client_for(app, u) for u in ("office", "yjj_admin", "scj_admin"))
    officer, outsider = client_for(app, "scj_officer"), client_for(app, "hbj_admin")
    form = {**CAMPAIGN_FORM, "lead_department_id": county["yjj"].id, "partner_ids": [county["scj"].id]}

    # a department's admin may create its own internal inspections, never a joint campaign
    assert yjj.post("/campaigns/new", data=form).status_code == 200
    assert officer.post("/campaigns/new", data=form).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 0
    response = office.post("/campaigns/new", data=form)
    assert response.status_code in (302, 303), response.data.decode()[-3000:]
    campaign = db.session.scalar(sa.select(Campaign))
    cid = campaign.id
    assert outsider.get(f"/campaigns/{cid}").status_code == 403  # its department takes no part

    for client, code in ((yjj, "yjj"), (scj, "scj")):
        ids = [str(i) for i in db.session.scalars(sa.select(Item.id).where(Item.department_id == county[code].id))]
        assert officer.post(f"/campaigns/{cid}/items", data={"item_ids": ids}).status_code == 403
        response = client.post(f"/campaigns/{cid}/items", data={"item_ids": ids, "materials": "营业执照、安全管理制度"})
        assert response.status_code in (302, 303), response.data.decode()[-2000:]
    page = office.get(f"/campaigns/{cid}").data.decode()
    assert "共同检查对象" in page and "应急管理局" in page

    parties = {"office": office, "dept:yjj": yjj, "dept:scj": scj}
    assert yjj.post(f"/campaigns/{cid}/rounds", data={"kind": "subjects"}).status_code == 403
    round_ = web_round(office, parties, cid, "subjects")
    locked = db.session.scalar(sa.select(Draw).where(Draw.kind == DrawKind.SUBJECTS))
    assert locked.seed is None and locked.locked_sha256 in office.get(f"/campaigns/{cid}").data.decode()
    assert yjj.post(f"/campaigns/{cid}/rounds/{round_.id}/run").status_code == 403
    office.post(f"/campaigns/{cid}/rounds/{round_.id}/run")
    again = office.post(f"/campaigns/{cid}/rounds/{round_.id}/run", follow_redirects=True).data.decode()
    assert "这次抽取已经完成" in again
    db.session.expire_all()
    drawn = db.session.scalars(sa.select(CampaignSubject)).all()
    assert len(drawn) == 20  # ceil(0.5 × 40)
    assert all(cs.department_ids for cs in drawn)

    assert office.post(f"/campaigns/{cid}/confirm", data={"all": "1"}).status_code == 403
    assert officer.post(f"/campaigns/{cid}/confirm", data={"all": "1"}).status_code == 403
    refused = office.post(f"/campaigns/{cid}/rounds", data={"kind": "teams", "reveal_hours": "24"},
                          follow_redirects=True).data.decode()
    assert "尚未完成检查对象确认" in refused
    for client in (yjj, scj):
        assert client.post(f"/campaigns/{cid}/confirm", data={"all": "1"}).status_code in (302, 303)

    assert yjj.post(f"/campaigns/{cid}/rounds", data={"kind": "teams"}).status_code == 403
    round_ = web_round(office, parties, cid, "teams")
    office.post(f"/campaigns/{cid}/rounds/{round_.id}/run")
    db.session.expire_all()
    campaign = db.session.get(Campaign, cid)
    assert campaign.status == CampaignStatus.TEAMED
    staffed = [cs for cs in campaign.subjects if cs.active_members]
    assert len(staffed) == 20
    for cs in staffed:
        assert cs.leader.department_id == county["yjj"].id and cs.leader.inspector.can_lead
        by_department = {d: [m for m in cs.active_members if m.department_id == d] for d in cs.department_ids}
        assert all(len(members) == 2 for members in by_department.values())
        if cs.subject.industry == "危险化学品":
            assert any("危险化学品" in m.inspector.tags for m in by_department[county["yjj"].id])
        assert date(2024, 6, 11) <= cs.visit_date <= date(2024, 6, 28)

    cs = staffed[0]
    record = yjj.get(f"/campaigns/{cid}/records/{cs.id}").data.decode()
    assert cs.subject.name in record and "一企一表" in record and cs.leader.inspector.cert_no in record
    assert officer.get(f"/campaigns/{cid}/records/{cs.id}").status_code == 200  # scj visits every subject
    assert yjj.get(f"/campaigns/{cid}/records.xlsx").data[:2] == b"PK"
    assert yjj.get(f"/campaigns/{cid}/dispatch.xlsx").status_code == 200  # the lead department
    assert scj.get(f"/campaigns/{cid}/dispatch.xlsx").status_code == 403
    assert "告知书" in office.get(f"/campaigns/{cid}/notices/{cs.id}").data.decode()

    assert yjj.post(f"/campaigns/{cid}/dispatch").status_code == 403
    office.post(f"/campaigns/{cid}/dispatch")
    db.session.expire_all()
    assert db.session.get(Campaign, cid).status == "dispatched"


def test_stored_draws_replay_and_tampering_is_caught(app, county, runner):
    campaign = drawn_campaign(county)
    confirm_all(campaign, county["users"]["office"])
    services.lock_and_run_team_draw(campaign, "7", "", county["users"]["office"])
    db.session.commit()
    result = runner.invoke(args=["replay-draw", str(campaign.id)])
    assert result.exit_code == 0, result.output
    assert "共 2 条抽取记录，0 条不一致" in result.output

    record = db.session.scalar(sa.select(Draw).where(Draw.kind == DrawKind.SUBJECTS))
    stored = record.result
    older = json.loads(stored)
    older["versions"]["solver"] = "0.1.0"  # drawn by an older solver: the replay says so
    record.result = canonical_json(older)
    said = services.replay(record)
    assert "求解器版本不同" in said and "'solver': '0.1.0'" in said
    record.result = stored
    tampered = json.loads(record.result)
    tampered["drawn"][0]["id"] = "91139901MA00000000"
    record.result = canonical_json(tampered)
    db.session.commit()
    result = runner.invoke(args=["replay-draw", str(campaign.id)])
    assert result.exit_code == 1 and "重放结果与保存的结果不一致" in result.output

    record.problem = record.problem.replace('"weight":1.0', '"weight":9.0', 1)
    db.session.commit()
    assert "输入被改动" in services.replay(record)
    assert runner.invoke(args=["replay-draw", "999"]).exit_code == 2


def test_same_seed_same_draw_and_the_seed_matters(app, county):
    campaign = drawn_campaign(county, seed="abc")
    record = db.session.scalar(sa.select(Draw).where(Draw.kind == DrawKind.SUBJECTS))
    problem = {**json.loads(record.problem), "seed": "abc"}
    from solver import draw_subjects

    assert canonical_json(draw_subjects(problem)) == record.result
    other = draw_subjects({**problem, "seed": "abd"})
    assert {d["id"] for d in other["drawn"]} != {d["id"] for d in json.loads(record.result)["drawn"]}
    assert campaign.status == CampaignStatus.DRAWN


def test_confirmation_deadline_is_one_working_day_across_a_holiday(county, monkeypatch):
    monkeypatch.setattr(draws, "now", lambda: datetime(2024, 9, 30, 10, 0))  # the eve of National Day
    campaign = drawn_campaign(county)
    assert all(cd.confirm_deadline == datetime(2024, 10, 8, 23, 59, 59) for cd in campaign.departments)
    assert deadline_after(datetime(2024, 9, 13, 16, 0), 1) == datetime(2024, 9, 14, 23, 59, 59)  # make-up Saturday
    campaign_department = campaign.departments[1]
    assert not campaign_department.confirmation_overdue(datetime(2024, 10, 8, 23, 0))
    assert campaign_department.confirmation_overdue(datetime(2024, 10, 9, 8, 0))


def test_a_replacement_draw_replaces_one_and_leaves_the_rest(county):
    campaign = drawn_campaign(county)
    office, yjj_admin = county["users"]["office"], county["users"]["yjj_admin"]
    before = {cs.id: cs.subject_id for cs in campaign.subjects}
    closed = campaign.subjects[3]
    with pytest.raises(services.CampaignError, match="必须填写原因"):
        services.confirm(campaign, county["yjj"].id, {closed.id: (Decision.CLOSED, "")}, yjj_admin)
    services.confirm(campaign, county["yjj"].id, {closed.id: (Decision.CLOSED, "现场已停业")}, yjj_admin)
    new = services.replacement_draw(campaign, closed, "现场已停业", office)
    db.session.commit()
    assert closed.status == DrawnStatus.REPLACED and closed.replaced_by_id == new.id
    assert closed.subject.status == SubjectStatus.SUSPENDED and closed.subject.status_changes[0].reason.endswith("现场已停业")
    assert new.subject_id not in before.values() and new.stratum == closed.stratum
    after = {cs.id: cs.subject_id for cs in campaign.subjects if cs.id in before}
    assert after == before  # nobody else moved
    record = db.session.scalar(sa.select(Draw).where(Draw.kind == DrawKind.REPLACEMENT))
    assert record.seed == "42-替换-1" and services.replay(record) is None
    assert campaign.campaign_department(county["yjj"].id).confirmed_at is None  # the newcomer awaits confirmation
    with pytest.raises(services.CampaignError, match="已被替换"):
        services.replacement_draw(campaign, closed, "again", office)


def test_the_overview_figures_match_the_enterprises_they_count(county):
    """pending_counts and flagged read columns for the overview; they must agree with walking the campaign."""
    campaign = drawn_campaign(county)
    yjj, scj = county["yjj"].id, county["scj"].id
    yjj_admin = county["users"]["yjj_admin"]

    def walked():
        return {cd.department_id: len(services.pending_confirmations(campaign, cd.department_id))
                for cd in campaign.departments}

    assert services.pending_counts(campaign) == walked() and walked()[yjj] > 2
    mine = services.pending_confirmations(campaign, yjj)
    closed, missing = mine[0], mine[1]
    services.confirm(campaign, yjj, {closed.id: (Decision.CLOSED, "停业"), missing.id: (Decision.NOT_FOUND, "无此门牌"),
                                     mine[2].id: (Decision.CONFIRMED, "")}, yjj_admin)
    db.session.commit()
    counts = services.pending_counts(campaign)
    assert counts == walked() and counts[yjj] == len(mine) - 3 and counts[scj] == walked()[scj]
    assert [(cs.id, c.decision) for cs, c in services.flagged(campaign)] == [
        (cs.id, decision) for cs, decision in sorted([(closed, Decision.CLOSED), (missing, Decision.NOT_FOUND)],
                                                     key=lambda pair: pair[0].id)]
    assert services.unstaffed(campaign) == []


def test_the_overview_of_a_teamed_campaign_counts_the_staffed_and_lists_the_unstaffed(app, county):
    campaign = drawn_campaign(county)
    office = county["users"]["office"]
    confirm_all(campaign, office)
    services.lock_and_run_team_draw(campaign, "7", "", office)
    active = [cs for cs in campaign.subjects if cs.status == DrawnStatus.ACTIVE]
    short = active[1]
    short.unstaffed_reason = "测试：无可用人员"
    db.session.commit()
    html = client_for(app, "office").get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    unstaffed = [cs for cs in active if cs.unstaffed_reason]
    assert f"{len(active)}户中已配齐检查组{len(active) - len(unstaffed)}户，{len(unstaffed)}户未配齐" in html
    assert f"未配齐检查组的检查对象（{len(unstaffed)}户）" in html
    assert f"<li>{short.subject.name}：测试：无可用人员</li>" in html
    assert services.unstaffed(campaign) == unstaffed


def test_a_team_draw_offers_every_pairs_planned_probability_for_download(app, county):
    campaign = drawn_campaign(county)
    office = county["users"]["office"]
    confirm_all(campaign, office)
    record = services.lock_and_run_team_draw(campaign, "7", "", office)
    db.session.commit()
    subject_draw = db.session.scalar(sa.select(Draw).where(Draw.kind == DrawKind.SUBJECTS))
    client = client_for(app, "office")
    html = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert f"/campaigns/{campaign.id}/draws/{record.id}/pairs.csv" in html and "下载配对概率" in html
    assert f"/draws/{subject_draw.id}/pairs.csv" not in html
    assert client.get(f"/campaigns/{campaign.id}/draws/{subject_draw.id}/pairs.csv").status_code == 404

    response = client.get(f"/campaigns/{campaign.id}/draws/{record.id}/pairs.csv")
    rows = [line.split(",") for line in response.get_data(as_text=True).lstrip("\ufeff").splitlines()]
    assert response.mimetype == "text/csv" and rows[0][0].startswith("检查对象")
    planned = {(subject, inspector): float(p) for subject, inspector, p in rows[1:]}
    members = {(cs.subject.credit_code, m.inspector.cert_no) for cs in campaign.subjects for m in cs.active_members}
    assert members and members <= set(planned) and all(0 < p <= 1 for p in planned.values())
    problem = json.loads(record.problem)
    assert problem["report_pair_probabilities"] is True
    assert services.replay(record) is None  # the auditor's check of the list passes too


def test_recusal_redraws_one_seat_and_leaves_the_rest(county):
    campaign = drawn_campaign(county)
    office = county["users"]["office"]
    confirm_all(campaign, office)
    services.lock_and_run_team_draw(campaign, "7", "", office)
    db.session.commit()
    seats = {m.id: (m.campaign_subject_id, m.inspector_id) for m in db.session.scalars(sa.select(TeamMember))}
    cs = next(cs for cs in campaign.subjects if cs.active_members)
    leaving = cs.leader
    new = services.recuse(campaign, leaving, "近亲属在该单位任职", office)
    db.session.commit()
    assert leaving.recused_at is not None and new.is_leader and not leaving.is_leader
    assert new.department_id == leaving.department_id and new.inspector.can_lead
    assert new.inspector_id not in {m.inspector_id for m in cs.active_members if m is not new}
    assert db.session.scalar(sa.select(Conflict).where(Conflict.inspector_id == leaving.inspector_id,
                                                       Conflict.subject_id == cs.subject_id))
    others = {m.id: (m.campaign_subject_id, m.inspector_id) for m in db.session.scalars(sa.select(TeamMember))
              if m.id in seats}
    assert others == seats  # every other seat stays as it was
    reseat = db.session.scalar(sa.select(Draw).where(Draw.kind == DrawKind.RESEAT))
    assert services.replay(reseat) is None


def test_who_may_recuse_whom_and_when_is_the_members_rule(county):
    campaign = drawn_campaign(county)
    office, yjj_admin, scj_admin = (county["users"][name] for name in ("office", "yjj_admin", "scj_admin"))
    yjj_officer = county["users"]["yjj_officer"]
    confirm_all(campaign, office)
    services.lock_and_run_team_draw(campaign, "7", "", office)
    db.session.commit()
    member = next(m for cs in campaign.subjects for m in cs.active_members if m.department_id == county["yjj"].id)
    assert member.can_be_recused_by(office) and member.can_be_recused_by(yjj_admin)
    assert not member.can_be_recused_by(scj_admin) and not member.can_be_recused_by(yjj_officer)
    services.recuse(campaign, member, "近亲属在该单位任职", office)
    assert not member.can_be_recused_by(office)  # recused once is enough
    other = next(m for cs in campaign.subjects for m in cs.active_members)
    campaign.status = CampaignStatus.FINISHED
    assert not other.can_be_recused_by(office) and other.may_be_recused_by(office)


def test_items_are_overdue_after_their_deadline_until_submitted(county):
    campaign = services.create_campaign(campaign_values(), county["yjj"], [county["scj"]], county["users"]["office"])
    db.session.flush()
    lead = campaign.campaign_department(county["yjj"].id)
    assert not lead.items_overdue(campaign.items_deadline)
    assert lead.items_overdue(date.fromordinal(campaign.items_deadline.toordinal() + 1))
    submit_all_items(campaign, county, county["users"]["office"])
    assert not lead.items_overdue(date(2099, 1, 1))


def test_closed_and_recently_inspected_enterprises_are_left_out_of_the_next_draw(county):
    first = drawn_campaign(county)
    inspected = {cs.subject.credit_code for cs in first.subjects}
    closed = db.session.scalar(sa.select(Subject).where(Subject.credit_code.not_in(inspected))
                            .order_by(Subject.id).limit(1))
    closed.status = SubjectStatus.DEREGISTERED
    db.session.commit()

    def next_campaign(burden_months):
        later = services.create_campaign(
            campaign_values(name=f"第二次{burden_months}", burden_months=burden_months,
                            visit_start=date(2024, 10, 8), visit_end=date(2024, 10, 30)),
            county["yjj"], [county["scj"]], county["users"]["office"])
        db.session.flush()
        assert services.subject_problem(later)["subjects"] == []  # no items yet: no department reaches anyone
        submit_all_items(later, county, county["users"]["office"])
        return {s["id"] for s in services.subject_problem(later)["subjects"]}

    everyone = set(db.session.scalars(sa.select(Subject.credit_code)))
    assert next_campaign(12) == everyone - inspected - {closed.credit_code}
    assert next_campaign(0) == everyone - {closed.credit_code}


def test_the_teams_page_links_only_the_sheets_a_department_may_open(app, county):
    """A partner department sees every team, but opens the 一企一表 and 告知书 only of enterprises its items reach
    (the demo's 商务局 was shown links that answered 403)."""
    from tests.app.county import dispatched_county_campaign

    campaign = dispatched_county_campaign(county)
    staffed = [cs for cs in campaign.subjects if cs.active_members]
    elsewhere, reached = staffed[0], staffed[1]
    elsewhere.department_ids = [county["yjj"].id]  # scj's items do not reach this one
    db.session.commit()
    scj = client_for(app, "scj_admin")
    page = scj.get(f"/campaigns/{campaign.id}/teams").get_data(as_text=True)
    assert elsewhere.subject.name in page  # the team is listed
    for cs, shown in ((elsewhere, False), (reached, True)):
        for url in (f"/campaigns/{campaign.id}/records/{cs.id}", f"/campaigns/{campaign.id}/notices/{cs.id}"):
            assert (f'href="{url}"' in page) is shown, url
            assert scj.get(url).status_code == (200 if shown else 403), url
    office = client_for(app, "office").get(f"/campaigns/{campaign.id}/teams").get_data(as_text=True)
    assert f'href="/campaigns/{campaign.id}/records/{elsewhere.id}"' in office


def test_a_risk_class_with_a_ratio_of_its_own_inside_a_stratum(app, ctx):
    """Seed 000: 上浮抽查比例 — D-class enterprises drawn at 100 % inside a stratum drawn at 25 % otherwise."""
    county = build_county(subjects=16)  # classes "ABCD"[n % 4]: four of each
    campaign = drawn_campaign(county, strata=[{"id": "全部", "category": "*", "crowded": None, "mode": "ratio",
                                               "value": 0.25, "risk_ratios": {"D": 1.0}}])
    drawn = list(campaign.subjects)
    assert sorted(cs.subject.credit_code for cs in drawn if cs.subject.risk_class == "D") == sorted(
        db.session.scalars(sa.select(Subject.credit_code).where(Subject.risk_class == "D")))
    assert {cs.stratum for cs in drawn if cs.subject.risk_class == "D"} == {"全部·D类"}
    assert sum(cs.subject.risk_class != "D" for cs in drawn) == 3  # ceil(25 % of the other 12)
    # the campaign page says so beside the stratum's own ratio (it showed 25.0 % only)
    page = client_for(app, "office").get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "全部：25.0%（D类 100.0%）" in page
    assert rules.parse_risk_ratios("D：100%，c:0.5") == {"D": 1.0, "C": 0.5}
    with pytest.raises(ValueError, match="A、B、C、D"):
        rules.parse_risk_ratios("E:0.5")
    with pytest.raises(ValueError, match="0到1"):
        rules.parse_risk_ratios("D:2")
