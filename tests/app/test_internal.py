"""A department's own random inspection (内部随机抽查, seed 000's annex) and the special inspection (专项检查):
the same machinery as a joint campaign, run by the department's administrator, counted apart where the seeds do."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from coordinator.campaigns.models import Campaign, CampaignSubject
from coordinator.extensions import db
from coordinator.items.models import Item
from coordinator.results.models import InspectionRecord
from coordinator.results.services import items_for
from coordinator.states import CampaignKind, CampaignStatus, RecordStatus
from coordinator.stats import services as stats
from tests.app.county import PASSWORD, build_county
from tests.app.seeding import web_round
from tests.app.test_campaigns import CAMPAIGN_FORM


@pytest.fixture
def county(ctx):
    return build_county()


def client_for(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code in (302, 303)
    return client


def internal_form(county, **changes):
    return {**CAMPAIGN_FORM, "kind": "internal", "name": "2024年应急管理局内部随机抽查001",
            "lead_department_id": county["yjj"].id, **changes}


def test_a_departments_own_random_inspection_end_to_end_by_the_roles_that_do_it(app, county):
    office, yjj = client_for(app, "office"), client_for(app, "yjj_admin")
    officer, scj = client_for(app, "yjj_officer"), client_for(app, "scj_admin")

    # An officer cannot create one; an admin creates one for its own department only, without partners.
    assert officer.post("/campaigns/new", data=internal_form(county)).status_code == 403
    joint = yjj.post("/campaigns/new", data=internal_form(county, kind="joint", partner_ids=[county["scj"].id]))
    assert joint.status_code == 200 and db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 0
    response = yjj.post("/campaigns/new", data=internal_form(county, lead_department_id=county["scj"].id))
    assert response.status_code in (302, 303), response.data.decode()[-3000:]
    campaign = db.session.scalar(sa.select(Campaign))
    cid = campaign.id
    assert campaign.kind == CampaignKind.INTERNAL and not campaign.is_joint
    assert campaign.lead_department_id == county["yjj"].id  # its own department, whatever the form said
    assert [cd.department_id for cd in campaign.departments] == [county["yjj"].id]
    assert scj.get(f"/campaigns/{cid}").status_code == 403  # another department sees nothing of it
    assert "内部随机抽查" in yjj.get("/campaigns/").data.decode()

    ids = [str(i) for i in db.session.scalars(sa.select(Item.id).where(Item.department_id == county["yjj"].id))]
    assert yjj.post(f"/campaigns/{cid}/items", data={"item_ids": ids, "materials": "营业执照"}).status_code == 302
    assert "随机抽取检查对象" in yjj.get(f"/campaigns/{cid}").data.decode()

    # The draw: opened, closed and run by the department, its seed made by the department and a witness at its
    # screen (seed 000's annex: the brigade draws its own inspections); the office is not a party.
    parties = {"dept:yjj": yjj, "witness": yjj}
    assert officer.post(f"/campaigns/{cid}/rounds", data={"kind": "subjects"}).status_code == 403
    assert scj.post(f"/campaigns/{cid}/rounds", data={"kind": "subjects"}).status_code == 403
    round_ = web_round(yjj, parties, cid, "subjects", witness="纪检监察员王五")
    assert [c.slot for c in round_.contributions] == ["dept:yjj", "witness"] and round_.required_slots == ["dept:yjj"]
    for other in (officer, scj):
        assert other.post(f"/campaigns/{cid}/rounds/{round_.id}/commit",
                          data={"slot": "witness", "commitment": "0" * 64}).status_code == 403
    assert officer.post(f"/campaigns/{cid}/rounds/{round_.id}/run").status_code == 403
    yjj.post(f"/campaigns/{cid}/rounds/{round_.id}/run")
    db.session.expire_all()
    drawn = db.session.scalars(sa.select(CampaignSubject).where(CampaignSubject.campaign_id == cid)).all()
    assert len(drawn) == 20 and all(cs.department_ids == [county["yjj"].id] for cs in drawn)

    assert yjj.post(f"/campaigns/{cid}/confirm", data={"all": "1"}).status_code in (302, 303)
    page = yjj.get(f"/campaigns/{cid}").get_data(as_text=True)
    assert "随机组成检查组" in page and "从本部门持有效执法证的人员" in page and "联合检查组" not in page
    round_ = web_round(yjj, parties, cid, "teams", witness="纪检监察员王五")
    ran = yjj.post(f"/campaigns/{cid}/rounds/{round_.id}/run", follow_redirects=True).get_data(as_text=True)
    assert "检查组已随机组成" in ran and "联合检查组" not in ran
    db.session.expire_all()
    campaign = db.session.get(Campaign, cid)
    assert campaign.status == CampaignStatus.TEAMED
    for cs in campaign.subjects:
        members = cs.active_members
        assert len(members) == 2 and {m.department_id for m in members} == {county["yjj"].id}
        assert cs.leader.inspector.can_lead
        if cs.subject.industry == "危险化学品":  # expertise, as in a joint campaign
            assert any("危险化学品" in m.inspector.tags for m in members)

    # Recusal redraws the seat from the same department.
    member = campaign.subjects[0].active_members[-1]
    yjj.post(f"/campaigns/{cid}/members/{member.id}/recuse", data={"reason": "亲属在该单位任职"})
    db.session.expire_all()
    assert db.session.get(type(member), member.id).recused_at is not None

    assert officer.post(f"/campaigns/{cid}/dispatch").status_code == 403
    dispatched = yjj.post(f"/campaigns/{cid}/dispatch", follow_redirects=True).get_data(as_text=True)
    assert "已派发：一企一表已发送给检查人员" in dispatched and "牵头部门" not in dispatched
    db.session.expire_all()
    assert db.session.get(Campaign, cid).status == CampaignStatus.DISPATCHED
    # Its visit dates and the results list do not call it joint either (返回联合抽查, 牵头部门与协同部门商定).
    teams = yjj.get(f"/campaigns/{cid}/teams").get_data(as_text=True)
    sheet = yjj.get(f"/campaigns/{cid}/records/{campaign.subjects[0].id}").get_data(as_text=True)
    assert "<h1>检查组：" in teams and "<h1>检查记录表（一企一表）</h1>" in sheet and "联合检查" not in sheet
    home = yjj.get("/").get_data(as_text=True)
    assert "户的检查日期（可在检查时段内改期）" in home and "牵头部门商定" not in home
    for url in (f"/campaigns/{cid}/visits", "/results/"):
        main = re.sub(r"<[^>]+>", " ", yjj.get(url).get_data(as_text=True).split("<main", 1)[-1])
        assert "联合" not in main, url

    # Records, review and publication, by the department alone.
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    part = record.department_results[0]
    data = {"action": "submit", "follow_ups": ["无需后续处置"], "inspected_on": "2024-06-12", "signed": "1"}
    for ci in items_for(part):
        data[f"result-{ci.id}"], data[f"problems-{ci.id}"] = "未发现问题", "0"
    assert yjj.post(f"/results/{record.id}/entry", data=data).status_code in (302, 303)
    assert scj.post(f"/results/{record.id}/review", data={"action": "publish"}).status_code == 403
    yjj.post(f"/results/{record.id}/report", data={"evaluation": "未发现问题", "handling": "无需后续处置"})
    yjj.post(f"/results/{record.id}/review", data={"action": "publish"})
    db.session.expire_all()
    assert record.status == RecordStatus.PUBLISHED

    # Statistics keep it apart: single-department work, not joint, counted in all work.
    figures = stats.dashboard(2024)
    assert figures["dispatched_campaigns"] == 1 and figures["joint_campaigns"] == 0
    assert figures["single_campaigns"] == 1 and figures["joint_campaign_rate"] == 0
    assert figures["visits"] == 1 and figures["joint_visits"] == 0 and figures["single_visits"] == 1
    page = office.get("/stats/dashboard?year=2024").data.decode()
    assert "单部门抽查" in page

    # The draws replay from what was published, and their seeds verify without the office's value.
    assert yjj.get(f"/campaigns/{cid}").status_code == 200
    from coordinator.campaigns.models import Draw
    from solver.seed import verify_download
    # Its team draws too (its own people only): the department that ran them replays them; its officers do not.
    for draw in db.session.scalars(sa.select(Draw).where(Draw.campaign_id == cid)):
        download = yjj.get(f"/campaigns/{cid}/draws/{draw.id}.json")
        assert download.status_code == 200, draw.kind
        if draw.kind in Draw.TEAM_KINDS:
            assert officer.get(f"/campaigns/{cid}/draws/{draw.id}.json").status_code == 403
        material = download.get_json()["seed_round"]
        if material is not None:  # the one-seat redraw after a recusal takes the team draw's seed
            assert material["required"] == ["dept:yjj"] and "office" not in {c["slot"] for c in material["contributions"]}
            assert verify_download(download.get_json()) == []


def test_a_special_inspection_files_its_plan_and_shows_it(app, county, tmp_path):
    yjj, scj = client_for(app, "yjj_admin"), client_for(app, "scj_admin")
    form = internal_form(county, kind="special", name="2024年春节前消防安全专项检查")
    refused = yjj.post("/campaigns/new", data=form)
    assert refused.status_code == 200 and "专项检查方案" in refused.data.decode()
    form |= {"scheme_text": "检查对象：人员密集场所；抽查比例：30%；检查内容：疏散通道", "scheme_filed_with": "市消防救援支队",
             "scheme_filed_on": "2024-01-20", "scheme_file": (io.BytesIO(b"%PDF-1.4 plan"), "专项检查方案.pdf")}
    response = yjj.post("/campaigns/new", data=form, content_type="multipart/form-data")
    assert response.status_code in (302, 303), response.data.decode()[-2000:]
    campaign = db.session.scalar(sa.select(Campaign))
    assert campaign.kind == CampaignKind.SPECIAL and campaign.scheme_filed_on == date(2024, 1, 20)
    page = yjj.get(f"/campaigns/{campaign.id}").data.decode()
    assert "已备案" in page and "疏散通道" in page and "市消防救援支队" in page
    download = yjj.get(f"/campaigns/{campaign.id}/scheme")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 plan"
    download.close()
    assert scj.get(f"/campaigns/{campaign.id}/scheme").status_code == 403
    bad = yjj.post("/campaigns/new", content_type="multipart/form-data",
                   data=form | {"scheme_file": (io.BytesIO(b"MZ"), "plan.exe")})
    assert bad.status_code == 200 and "不是可接受的方案文件" in bad.data.decode()


def test_a_joint_campaign_still_needs_a_partner_and_the_office(app, county):
    yjj, office = client_for(app, "yjj_admin"), client_for(app, "office")
    form = {**CAMPAIGN_FORM, "kind": "joint", "lead_department_id": county["yjj"].id}
    page = office.post("/campaigns/new", data=form).data.decode()
    assert "至少需要一个协同部门" in page
    assert office.post("/campaigns/new", data=form | {"partner_ids": [county["scj"].id]}).status_code == 302
    campaign = db.session.scalar(sa.select(Campaign))
    assert campaign.is_joint and not campaign.may_run(_user("yjj_admin"))
    assert yjj.post(f"/campaigns/{campaign.id}/rounds", data={"kind": "subjects"}).status_code == 403


def _user(name):
    from coordinator.auth.models import User
    return db.session.scalar(sa.select(User).where(User.username == name))


def test_a_departments_own_inspection_does_not_call_itself_joint(app, county):
    """The items page and the seed page of an internal inspection named it 联合抽查 (本次联合抽查的事项和材料,
    返回联合抽查): it reads as what it is."""
    import re

    yjj = client_for(app, "yjj_admin")
    assert yjj.post("/campaigns/new", data=internal_form(county)).status_code in (302, 303)
    cid = db.session.scalar(sa.select(Campaign.id))
    items = yjj.get(f"/campaigns/{cid}/items").get_data(as_text=True)
    main = re.sub(r"<[^>]+>", " ", items.split("<main", 1)[-1])
    assert "联合" not in main and "本次抽查的事项和材料" in main and "返回内部随机抽查" in main
    ids = [str(i) for i in db.session.scalars(sa.select(Item.id).where(Item.department_id == county["yjj"].id))]
    yjj.post(f"/campaigns/{cid}/items", data={"item_ids": ids, "materials": "营业执照"})
    round_ = web_round(yjj, {"office": client_for(app, "office"), "dept:yjj": yjj}, cid, "subjects", with_office="y")
    seed_page = yjj.get(f"/campaigns/{cid}/rounds/{round_.id}").get_data(as_text=True)
    main = re.sub(r"<[^>]+>", " ", seed_page.split("<main", 1)[-1])
    assert "联合抽查" not in main and "内部随机抽查" in main


def test_the_seed_round_of_a_departments_own_draw_says_who_must_commit(app, county):
    """Without the office: the department and an independent party. Opening without a witness or the office is
    refused; the office may take part when asked, and is then optional; names, not codes, on the page."""
    from coordinator.campaigns.services import CampaignError
    from coordinator.draws import services as rounds
    from tests.app.seeding import commitment

    yjj = client_for(app, "yjj_admin")
    assert yjj.post("/campaigns/new", data=internal_form(county)).status_code in (302, 303)
    campaign = db.session.scalar(sa.select(Campaign))
    ids = [str(i) for i in db.session.scalars(sa.select(Item.id).where(Item.department_id == county["yjj"].id))]
    yjj.post(f"/campaigns/{campaign.id}/items", data={"item_ids": ids, "materials": "营业执照"})
    db.session.expire_all()
    admin = _user("yjj_admin")
    with pytest.raises(CampaignError, match="请填写见证人，或请办公室参与"):
        rounds.open_round(campaign, "subjects", admin)
    db.session.rollback()
    round_ = rounds.open_round(campaign, "subjects", admin, with_office=True)
    assert [c.slot for c in round_.contributions] == ["office", "dept:yjj"]
    assert round_.required_slots == ["dept:yjj"] and not round_.required(round_.slot("office"))
    db.session.commit()
    page = yjj.get(f"/campaigns/{campaign.id}/rounds/{round_.id}").get_data(as_text=True)
    import re
    table = page[page.index("各参与方的承诺与揭示"):page.index("</table>")]
    assert "应急管理局" in table and table.count("必需") == 2  # the department, and the office as the only other
    shown = re.sub(r"<[^>]+>", " ", page[:page.index("核验信息")])
    assert "dept:" not in shown  # names, not codes; the codes only in the folded verification part
    assert "须承诺并揭示" in page and "办公室不是必需的一方" in page
    assert "至少一方：领导小组办公室" in page

    values = {"office": "a" * 64, "dept:yjj": "b" * 64}
    with pytest.raises(CampaignError, match="应急管理局尚未提交承诺"):
        rounds.close(round_, admin)
    rounds.commit(round_, "dept:yjj", commitment(values["dept:yjj"]), admin)
    with pytest.raises(CampaignError, match="至少还需要一个参与方"):
        rounds.close(round_, admin)
    office_user = _user("office")
    rounds.commit(round_, "office", commitment(values["office"]), office_user)  # the last: closes the window
    assert round_.commit_closed_at is not None
    rounds.reveal(round_, "office", values["office"], office_user)
    rounds.reveal(round_, "dept:yjj", values["dept:yjj"], admin)
    rounds.run_round(round_, admin)
    db.session.commit()
    assert rounds.verify_seed(round_.draw) is None
    # the published material says whose value was required; without the department's it does not verify
    from solver.seed import verify
    material = rounds.material(round_)
    assert material["required"] == ["dept:yjj"] and verify(material) == []
    material["contributions"] = [c for c in material["contributions"] if c["slot"] != "dept:yjj"]
    assert any("dept:yjj" in problem for problem in verify(material))


def test_a_joint_round_still_needs_the_office(app, county):
    from coordinator.campaigns import services as campaigns
    from coordinator.campaigns.services import CampaignError
    from coordinator.draws import services as rounds
    from tests.app.county import campaign_values, submit_all_items
    from tests.app.seeding import commitment

    office = _user("office")
    campaign = campaigns.create_campaign(campaign_values(), county["yjj"], [county["scj"]], office)
    db.session.flush()
    submit_all_items(campaign, county)
    round_ = rounds.open_round(campaign, "subjects", office, witness="见证人甲")
    assert round_.required_slots == ["office"] and round_.slot("office") is not None
    for n, (slot, user) in enumerate((("dept:yjj", _user("yjj_admin")), ("dept:scj", _user("scj_admin")),
                                      ("witness", office))):
        rounds.commit(round_, slot, commitment(str(n) * 64), user)
    with pytest.raises(CampaignError, match="领导小组办公室尚未提交承诺"):
        rounds.close(round_, office)


def test_a_preset_keeps_the_kind_chosen(app, county):
    """Choosing a preset on the office's internal-inspection form reloaded the form as a joint campaign."""
    page = client_for(app, "office").get("/campaigns/new?kind=internal").get_data(as_text=True)
    assert re.search(r'href="/campaigns/new\?preset=\w+&amp;kind=internal"', page)


def test_a_campaign_takes_as_must_inspect_only_the_coverage_duties_of_its_own_departments(app, county):
    """The brigade's own inspection offered (and took) 应急管理局's “still due under rule X” as its must-inspect list:
    its visits do not discharge another department's duty. A department's form offers its own rules only; a joint
    campaign takes the rules of the departments taking part (acceptance check)."""
    from coordinator.coverage.models import CoverageRule

    own = CoverageRule(department_id=county["yjj"].id, name="应急重点单位每年一次", ratio=1.0)
    other = CoverageRule(department_id=county["scj"].id, name="市场监管重点单位每年一次", ratio=1.0)
    db.session.add_all([own, other])
    db.session.commit()
    yjj, office = client_for(app, "yjj_admin"), client_for(app, "office")
    form = yjj.get("/campaigns/new?kind=internal").get_data(as_text=True)
    assert f'value="coverage:{own.id}"' in form and f'value="coverage:{other.id}"' not in form
    refused = yjj.post("/campaigns/new", data=internal_form(county, must_flags=[f"coverage:{other.id}"]))
    assert refused.status_code == 200 and db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 0
    taken = yjj.post("/campaigns/new", data=internal_form(county, must_flags=[f"coverage:{own.id}"]))
    assert taken.status_code in (302, 303), taken.get_data(as_text=True)[-2000:]

    # the office: a rule of a department that takes no part is refused with the rule's name, one that does is taken
    joint = {**CAMPAIGN_FORM, "kind": "joint", "lead_department_id": county["yjj"].id,
             "partner_ids": [county["scj"].id], "name": "联合抽查（覆盖规则）"}
    page = office.post("/campaigns/new", data=internal_form(county, name="应急内部（他部门规则）",
                                                             must_flags=[f"coverage:{other.id}"])).get_data(as_text=True)
    assert "市场监管重点单位每年一次" in page and "不是本次抽查的参加部门" in page
    assert office.post("/campaigns/new", data=joint | {"must_flags": [f"coverage:{other.id}"]}).status_code in (302, 303)
    assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 2
