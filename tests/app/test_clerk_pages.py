"""What a county clerk met (issue 12): each place where work was lost, a page misled, or a step had no way on."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from coordinator.campaigns import services, sheets, staffing
from coordinator.campaigns.models import Campaign, Draw
from coordinator.directories.models import Subject
from coordinator.draws import services as rounds
from coordinator.extensions import db
from coordinator.items.models import Item
from coordinator.plans import services as plans
from coordinator.plans.models import PlanTask
from coordinator.results.services import write_report
from coordinator.states import Decision, DrawnStatus, SubjectStatus
from coordinator.textutil import split_list
from tests.app.county import PASSWORD, build_county, campaign_values, confirm_all, submit_all_items
from tests.app.stats_kit import enter
from tests.app.stats_kit import records as records_of
from tests.app.test_campaigns import CAMPAIGN_FORM


@pytest.fixture
def county(ctx):
    return build_county(subjects=16)


def client_for(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code in (302, 303)
    return client


def make_campaign(county, **changes):
    campaign = services.create_campaign(campaign_values(**changes), county["yjj"], [county["scj"]],
                                        county["users"]["office"])
    db.session.flush()
    return campaign


def drawn(county, **changes):
    campaign = make_campaign(county, **changes)
    submit_all_items(campaign, county)
    services.lock_subject_draw(campaign, county["users"]["office"])
    services.run_subject_draw(campaign, "42", "见证人", county["users"]["office"])
    db.session.commit()
    return campaign


# ---- 6. the notice and the joint record ask only for the materials of the items that apply --------------


def test_a_bracketed_list_item_stays_one_item():
    assert split_list("烟花爆竹经营（批发、零售）许可证、营业执照；安全评价报告(现状、专项)") == [
        "烟花爆竹经营(批发、零售)许可证", "营业执照", "安全评价报告(现状、专项)"]


def test_an_enterprise_is_asked_only_for_the_materials_of_its_items(app, county):
    yjj_items = {i.code: i for i in db.session.scalars(sa.select(Item).where(Item.department_id == county["yjj"].id))}
    yjj_items["YJJ-001"].materials = "危险化学品经营许可证、烟花爆竹经营（批发、零售）许可证"
    campaign = make_campaign(county)
    submit_all_items(campaign, county)
    # The department's list for the campaign: every item's materials (the default) plus one line of its own.
    lead = campaign.campaign_department(county["yjj"].id)
    lead.materials = "危险化学品经营许可证、烟花爆竹经营（批发、零售）许可证、安全管理制度、应急预案备案表"
    services.lock_subject_draw(campaign, county["users"]["office"])
    services.run_subject_draw(campaign, "42", "见证人", county["users"]["office"])
    db.session.commit()
    chemicals = next(cs for cs in campaign.subjects if cs.subject.industry == "危险化学品")
    trade = next(cs for cs in campaign.subjects if cs.subject.industry == "工贸")
    assert sheets.sheet_of(chemicals).materials == [
        "危险化学品经营许可证", "烟花爆竹经营(批发、零售)许可证", "应急预案备案表", "营业执照"]
    assert sheets.sheet_of(trade).materials == ["安全管理制度", "应急预案备案表", "营业执照"]

    confirm_all(campaign, county["users"]["office"])
    services.lock_and_run_team_draw(campaign, "7", "", county["users"]["office"])
    db.session.commit()
    notice = client_for(app, "office").get(f"/campaigns/{campaign.id}/notices/{chemicals.id}").get_data(as_text=True)
    assert "<li>烟花爆竹经营(批发、零售)许可证</li>" in notice and "安全管理制度" not in notice


# ---- 3. a stratum by ratio needs its ratio --------------------------------------------------------------


@pytest.mark.parametrize(("mode", "message"), [("ratio", "请填写比例"), ("count", "请填写数量")])
def test_a_stratum_without_its_ratio_or_count_is_refused_on_the_form(app, county, mode, message):
    office = client_for(app, "office")
    form = {**CAMPAIGN_FORM, "lead_department_id": county["yjj"].id, "partner_ids": [county["scj"].id],
            "strata-0-mode": mode, "strata-0-value": ""}
    response = office.post("/campaigns/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f"分层“全部”{message}" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0


def test_a_stored_stratum_without_a_value_does_not_break_the_campaign_page(app, county):
    campaign = make_campaign(county, strata=[{"id": "全部", "category": "*", "crowded": None, "mode": "ratio",
                                               "value": None}])
    db.session.commit()
    response = client_for(app, "office").get(f"/campaigns/{campaign.id}")
    assert response.status_code == 200 and "全部：未填写" in response.get_data(as_text=True)


# ---- 1. "confirm the rest" keeps the marks made on the page; a refused save keeps every choice --------------


def _scj_rows(campaign, county):
    return [cs for cs in campaign.subjects if county["scj"].id in cs.department_ids]


def test_confirming_the_rest_keeps_the_mark_just_made(app, county):
    campaign = drawn(county)
    rows = _scj_rows(campaign, county)
    closed = rows[0]
    scj = client_for(app, "scj_admin")
    response = scj.post(f"/campaigns/{campaign.id}/confirm", data={
        f"decision-{closed.id}": "closed", f"reason-{closed.id}": "现场已拆除", "all": "1"}, follow_redirects=True)
    assert f"已记录{len(rows)}户的确认结果，其中1户标记为不检查或需替换" in response.get_data(as_text=True)
    db.session.expire_all()
    decisions = {cs.id: next(c.decision for c in cs.confirmations if c.department_id == county["scj"].id)
                 for cs in _scj_rows(campaign, county)}
    assert decisions.pop(closed.id) == Decision.CLOSED
    assert set(decisions.values()) == {Decision.CONFIRMED}


def test_a_refused_save_keeps_every_choice_on_the_page(app, county):
    campaign = drawn(county)
    first, second = _scj_rows(campaign, county)[:2]
    scj = client_for(app, "scj_admin")
    response = scj.post(f"/campaigns/{campaign.id}/confirm", data={
        f"decision-{first.id}": "not_ours", f"reason-{first.id}": "属县商务局监管",
        f"decision-{second.id}": "not_found", f"reason-{second.id}": "", "all": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "标记为“查无此户”时必须填写原因" in html
    assert '<option value="not_ours" selected>非本部门监管' in html and 'value="属县商务局监管"' in html
    assert '<option value="not_found" selected>查无此户' in html
    db.session.expire_all()
    assert not any(cs.confirmations for cs in _scj_rows(campaign, county))  # nothing half-saved


# ---- 2. a closed enterprise with no one to replace it no longer blocks the campaign -------------------------


def test_a_closed_enterprise_in_a_stratum_that_drew_everyone_is_accepted_short_and_leaves_the_pool(app, county):
    campaign = drawn(county, strata=[{"id": "全部", "category": "*", "crowded": None, "mode": "all", "value": None}])
    closed = _scj_rows(campaign, county)[0]
    office = county["users"]["office"]
    services.confirm(campaign, county["scj"].id, {closed.id: (Decision.CLOSED, "门店已拆除")}, county["users"]["scj_admin"])
    db.session.commit()
    with pytest.raises(services.CampaignError, match="没有可替换的存续检查对象：可以写明原因后“核减，不再替换”"):
        services.replacement_draw(campaign, closed, "已关闭", office)
    db.session.rollback()
    page = client_for(app, "office").get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "“全部”层已没有可替换的存续检查对象" in page and "核减，不再替换" in page and "替换抽取</button>" not in page

    office_client = client_for(app, "office")
    assert "请填写核减原因" in office_client.post(f"/campaigns/{campaign.id}/subjects/{closed.id}/drop", data={"reason": ""},
                                          follow_redirects=True).get_data(as_text=True)
    response = office_client.post(f"/campaigns/{campaign.id}/subjects/{closed.id}/drop",
                                  data={"reason": "该层已全部抽取，无可替换对象"}, follow_redirects=True)
    assert "已核减，不再替换" in response.get_data(as_text=True)
    db.session.expire_all()
    assert (closed.status, closed.dropped_reason) == (DrawnStatus.DROPPED, "该层已全部抽取，无可替换对象")
    assert db.session.get(Subject, closed.subject_id).status == SubjectStatus.SUSPENDED  # the directory learnt it
    assert "已核减的检查对象（1）" in office_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)

    # The way on is open: everyone confirms the rest and the teams are drawn without the closed enterprise.
    confirm_all(campaign, office)
    services.lock_and_run_team_draw(campaign, "7", "", office)
    db.session.commit()
    assert closed.id not in {cs.id for cs in campaign.subjects if cs.status == DrawnStatus.ACTIVE}
    assert closed.subject.credit_code not in {s["id"] for s in services.subject_problem(campaign)["subjects"]}


def test_only_a_flagged_enterprise_can_be_accepted_short(county):
    campaign = drawn(county)
    cs = _scj_rows(campaign, county)[0]
    with pytest.raises(services.CampaignError, match="只有被部门标记为已关闭停业或查无此户"):
        services.accept_shortfall(campaign, cs, "不想查", county["users"]["office"])


# ---- 4. a partly staffed campaign says so, says why and what to do, and asks before a partial dispatch -----


def test_a_partly_staffed_campaign_is_told_plainly_and_can_be_staffed_later(app, county):
    campaign = drawn(county, inspector_capacity=1)
    office_user = county["users"]["office"]
    confirm_all(campaign, office_user)
    round_ = rounds.open_fallback(campaign, "teams", office_user, fallback_reason="测试", witness="见证人")
    db.session.commit()
    office = client_for(app, "office")
    page = office.post(f"/campaigns/{campaign.id}/rounds/{round_.id}/run", data={"seed": "7"},
                       follow_redirects=True).get_data(as_text=True)
    summary = staffing.staffing(campaign)
    assert 0 < summary.staffed < summary.total
    assert "联合检查组已随机组成" not in page and "alert-success" not in page
    assert f"已为{summary.staffed}户组成联合检查组，另有{summary.unstaffed}户未能配齐" in page
    page = office.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert f"{summary.total}户中已配齐检查组{summary.staffed}户，{summary.unstaffed}户未配齐" in page
    assert "执法人员的检查户数或检查日期已排满" in page and "提高每名执法人员最多检查的户数" in page
    assert f"只派发已配齐的{summary.staffed}户" in page and f"还有{summary.unstaffed}户未配齐检查组" in page
    assert ">派发</button>" not in page

    # The office raises the capacity and staffs the rest by a recorded supplementary draw.
    response = office.post(f"/campaigns/{campaign.id}/staffing", data={
        "visit_end": campaign.visit_end.isoformat(), "inspector_capacity": "10", "daily_capacity": "2",
        "expertise_industries": "危险化学品"}, follow_redirects=True)
    assert "补充组队的设置已保存" in response.get_data(as_text=True)
    db.session.expire_all()
    assert campaign.inspector_capacity == 10
    round_ = rounds.open_fallback(campaign, "restaff", office_user, fallback_reason="测试", witness="见证人")
    db.session.commit()
    page = office.post(f"/campaigns/{campaign.id}/rounds/{round_.id}/run", data={"seed": "8"},
                       follow_redirects=True).get_data(as_text=True)
    db.session.expire_all()
    assert staffing.staffing(campaign).complete
    assert f"联合检查组已随机组成，{summary.total}户全部配齐" in page
    restaffed = [d for d in db.session.scalars(sa.select(Draw).where(Draw.campaign_id == campaign.id))
                 if d.kind == "restaff"]
    assert len(restaffed) == 1 and services.replay(restaffed[0]) is None


def test_a_supplementary_draw_never_shortens_the_visits(county):
    campaign = drawn(county, inspector_capacity=1)
    confirm_all(campaign, county["users"]["office"])
    services.lock_and_run_team_draw(campaign, "7", "", county["users"]["office"])
    with pytest.raises(services.CampaignError, match="只能延后"):
        staffing.restaff(campaign, {"visit_end": campaign.visit_end - timedelta(days=1)},
                                  county["users"]["office"])


# ---- 5. every irreversible step asks first, saying what happens ---------------------------------------------


def forms_posting_to(html: str, path: str) -> list[str]:
    return re.findall(r'<form[^>]*action="' + re.escape(path) + r'"[^>]*>', html)


def asks(html: str, path: str, words: str) -> bool:
    tags = forms_posting_to(html, path)
    return bool(tags) and all("data-confirm=" in tag and words in tag for tag in tags)


def test_every_irreversible_step_asks_first(app, county):
    office = client_for(app, "office")
    campaign = make_campaign(county)
    submit_all_items(campaign, county)
    db.session.commit()
    base = f"/campaigns/{campaign.id}"
    page = office.get(base).get_data(as_text=True)
    assert asks(page, f"{base}/rounds", "确定开始吗") and asks(page, f"{base}/rounds/fallback", "立即锁定输入")
    services.lock_subject_draw(campaign, county["users"]["office"])
    services.run_subject_draw(campaign, "42", "见证人", county["users"]["office"])
    closed = _scj_rows(campaign, county)[0]
    services.confirm(campaign, county["scj"].id, {closed.id: (Decision.NOT_FOUND, "地址无此单位")}, county["users"]["scj_admin"])
    db.session.commit()
    page = office.get(base).get_data(as_text=True)
    assert re.search(r'<form[^>]*action="' + re.escape(f"{base}/rounds") + r'"[^>]*data-confirm="[^"]*替换[^"]*不能撤销',
                     page)  # the replacement says what it does
    assert asks(page, f"{base}/subjects/{closed.id}/drop", "不再检查、也不替换")
    services.replacement_draw(campaign, closed, "查无此户", county["users"]["office"])
    confirm_all(campaign, county["users"]["office"])
    services.lock_and_run_team_draw(campaign, "7", "", county["users"]["office"])
    db.session.commit()
    page = office.get(base).get_data(as_text=True)
    assert asks(page, f"{base}/dispatch", "不能撤回")
    member = next(cs for cs in campaign.subjects if cs.active_members).active_members[0]
    assert asks(office.get(f"{base}/members/{member.id}/recuse").get_data(as_text=True),
                f"{base}/members/{member.id}/recuse", "回避")
    services.dispatch(campaign)
    db.session.commit()
    record = next(r for r in records_of(campaign) if len(r.department_results) == 2)
    enter(record, county, "yjj")
    enter(record, county, "scj")
    write_report(record, "未发现问题", "无需后续处置", county["users"]["office"])  # publication comes after it
    db.session.commit()
    page = office.get(f"/results/{record.id}").get_data(as_text=True)
    publish = re.search(r'<form[^>]*data-confirm="([^"]*)"[^>]*>\s*<input[^>]*>\s*<button[^>]*value="publish"', page)
    assert publish and "不能再修改或退回" in publish.group(1)


# ---- 9. the teams page: filters, one link per member, and back to where the clerk was after a recusal -------


def test_the_teams_page_filters_and_a_recusal_returns_to_the_same_view(app, county):
    campaign = drawn(county)
    confirm_all(campaign, county["users"]["office"])
    services.lock_and_run_team_draw(campaign, "7", "", county["users"]["office"])
    db.session.commit()
    staffed = [cs for cs in campaign.subjects if cs.active_members]
    day = staffed[0].visit_date
    on_day = {cs.subject.name for cs in staffed if cs.visit_date == day}
    scj = client_for(app, "scj_admin")
    view = f"/campaigns/{campaign.id}/teams?date={day.isoformat()}&department={county['scj'].id}"
    html = scj.get(view).get_data(as_text=True)
    assert 'name="reason"' not in html  # no reason box per member: the form is on the recusal page
    assert {name for name in on_day if name in html} == on_day
    assert not [cs.subject.name for cs in staffed if cs.visit_date != day and cs.subject.name in html]
    # the scj admin may withdraw scj people only
    mine = next(m for cs in staffed for m in cs.active_members if m.department_id == county["scj"].id
                and cs.visit_date == day)
    other = next(m for cs in staffed for m in cs.active_members if m.department_id == county["yjj"].id)
    assert f"/members/{mine.id}/recuse" in html and f"/members/{other.id}/recuse" not in html
    inspector = mine.inspector
    found = scj.get(f"/campaigns/{campaign.id}/teams?q={inspector.cert_no}").get_data(as_text=True)
    assert mine.campaign_subject.subject.name in found

    ask = scj.get(f"/campaigns/{campaign.id}/members/{mine.id}/recuse?back={quote(view)}").get_data(as_text=True)
    assert "回避，并开始该席位的补位抽取" in ask and f'name="back" value="{view.replace("&", "&amp;")}"' in ask
    response = scj.post(f"/campaigns/{campaign.id}/members/{mine.id}/recuse",
                        data={"reason": "其配偶在该单位任职", "back": view})
    assert response.status_code in (302, 303) and response.headers["Location"].endswith(view)
    assert scj.post(f"/campaigns/{campaign.id}/members/{mine.id}/recuse",
                    data={"reason": "x", "back": "https://evil.example/"}).headers["Location"].endswith(
        f"/campaigns/{campaign.id}/teams")


# ---- 10. pages in a clerk's words: verification folded away, the audit log as sentences with names -------------


def test_the_campaign_page_keeps_verification_material_in_a_folded_part(app, county):
    campaign = drawn(county)
    html = client_for(app, "office").get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    page, folded = html.split('<details class="mt-2" id="verification">', 1)
    draw = db.session.scalar(sa.select(Draw).where(Draw.campaign_id == campaign.id))
    assert draw.locked_sha256 not in page and "python -m" not in html and "flask --app" not in html
    assert draw.locked_sha256 in folded and "指纹证明什么" in folded and "外部人员怎样核对" in folded
    subjects = client_for(app, "office").get(f"/campaigns/{campaign.id}/subjects").get_data(as_text=True)
    assert "入样概率" not in subjects and "被抽中的机会" in subjects
    download = client_for(app, "office").get(f"/campaigns/{campaign.id}/draws/{draw.id}.json").get_json()
    assert any("python -m solver draw" in step for step in download["how_to_verify"])  # for the technician


def test_the_audit_log_reads_as_sentences_with_names(app, county):
    campaign = drawn(county)
    closed = _scj_rows(campaign, county)[0]
    services.confirm(campaign, county["scj"].id, {closed.id: (Decision.CLOSED, "门店已拆除")}, county["users"]["scj_admin"])
    confirm_all(campaign, county["users"]["office"])
    services.accept_shortfall(campaign, closed, "该层无可替换对象", county["users"]["office"])
    db.session.commit()
    html = client_for(app, "office").get("/audit/?entity=confirmation").get_data(as_text=True)
    assert f"新增了市场监督管理局对“{closed.subject.name}”的确认" in html
    assert "确认结果：已关闭停业" in html and "部门：市场监督管理局" in html
    html = client_for(app, "office").get("/audit/?entity=campaign_subject").get_data(as_text=True)
    assert f"修改了抽取的检查对象“{closed.subject.name}”" in html
    assert "状态：由 有效 改为 已核减" in html and "核减原因" in html
    assert '"active"' not in html and "dropped" not in html and '["' not in html
    # The departments that visit are rows of their own (campaign_subject_department), each logged by its name.
    html = client_for(app, "office").get("/audit/?entity=campaign_subject_department").get_data(as_text=True)
    assert "部门：应急管理局" in html and "部门：市场监督管理局" in html  # ids as names


# ---- 12. annual plans: a question before a numbered plan; tasks edited, removed, their items picked --------------


def test_the_plan_creation_form_is_a_labelled_grid(app, county):
    """A heading, a Bootstrap row whose columns hold a label tied to its field, the button in the same row and the
    numbering rule under it (it was a filter bar of wrapped labels, stacked and pushed right at 1440 px)."""
    page = client_for(app, "office").get("/plans/?year=2026").get_data(as_text=True)
    form = re.search(r'<form[^>]*action="/plans/new".*?</form>', page, re.S).group(0)
    assert "<h2" in form and "新建年度抽查计划" in form
    grid = form.split('<div class="row g-3 align-items-end">', 1)[1]
    for name in ("year", "department_id"):
        assert re.search(rf'<div class="col-[^"]+"><label class="form-label" for="{name}">', grid), name
    assert re.search(r'<div class="col-12 col-md-auto"><button class="btn btn-primary w-100" type="submit">', grid)
    assert "filters" not in form.split(">", 1)[0]


def test_plan_tasks_are_picked_edited_and_removed(app, county):
    office = client_for(app, "office")
    index = office.get("/plans/?year=2026").get_data(as_text=True)
    assert re.search(r'<form[^>]*action="/plans/new"[^>]*data-confirm="[^"]*2026001[^"]*不能收回', index)
    plan = plans.create_plan(2026, county["yjj"], "河清县")
    db.session.commit()
    page = office.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert 'placeholder="2026-01"' in page and "2024-" not in page
    chemicals, registration = (db.session.scalar(sa.select(Item).where(Item.code == code))
                               for code in ("YJJ-001", "SCJ-001"))
    assert "应急管理局：YJJ-001 危险化学品企业安全检查" in page and "市场监督管理局：SCJ-001 登记事项检查" in page
    task_form = {"name": "危化品专项", "task_type": "定向", "ratio": "20%", "scope": "危化品经营企业",
                 "start_month": "2026-05", "end_month": "2026-06", "joint_department_ids": [county["scj"].id]}
    refused = office.post(f"/plans/{plan.id}", data=task_form).get_data(as_text=True)
    assert "请至少选择一项抽查事项" in refused
    office.post(f"/plans/{plan.id}", data={**task_form, "item_ids": [chemicals.id, registration.id]})
    task = db.session.scalar(sa.select(PlanTask))
    assert task.items == "SCJ-001 登记事项检查、YJJ-001 危险化学品企业安全检查"

    edit = office.get(f"/plans/{plan.id}/tasks/{task.id}/edit").get_data(as_text=True)
    assert re.search(rf'value="{chemicals.id}"[^>]*checked|checked[^>]*value="{chemicals.id}"', edit)
    office.post(f"/plans/{plan.id}/tasks/{task.id}/edit", data={**task_form, "name": "危化品专项（调整）",
                                                             "item_ids": [chemicals.id], "reason": "登记事项另行抽查"})
    db.session.expire_all()
    assert (task.name, task.items, task.number) == ("危化品专项（调整）", "YJJ-001 危险化学品企业安全检查", "001号")

    # A task a campaign carries out stays; one no campaign uses goes, with a question first.
    campaign = make_campaign(county, plan_task_id=task.id)
    db.session.commit()
    page = office.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert re.search(r'<form[^>]*action="' + f"/plans/{plan.id}/tasks/{task.id}/delete" + r'"[^>]*data-confirm=', page)
    response = office.post(f"/plans/{plan.id}/tasks/{task.id}/delete", follow_redirects=True)
    assert f"联合抽查“{campaign.name}”对应这项任务，不能删除" in response.get_data(as_text=True)
    campaign.plan_task_id = None
    db.session.commit()
    office.post(f"/plans/{plan.id}/tasks/{task.id}/delete", data={"reason": "任务取消"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanTask)) == 0


def test_a_reason_listing_every_visit_day_is_said_briefly():
    reason = ("日期冲突：2024-06-11、2024-06-12、2024-06-13各部门单独都能派齐，"
              "但这些日期市场监督管理局可派的执法人员已排给其他检查对象")
    assert staffing.brief(reason).startswith("日期冲突：2024-06-11至2024-06-13的3个检查日各部门单独都能派齐")
    assert staffing.group_of(reason)[0] == "执法人员的检查户数或检查日期已排满"
