"""The expert pool (seed 003: 专家随同检查，随机选择，利害关系回避; seed 004: 专业人员协助指导): imported through the one
pipeline, drawn by a seed round like inspectors, replayed byte for byte with recusal respected, on the 一企一表."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

import solver
from coordinator.campaigns.models import Draw
from coordinator.campaigns.services import replay
from coordinator.draws import services as rounds
from coordinator.excel.importing import run_import
from coordinator.experts import services as experts
from coordinator.experts.models import Expert, ExpertAssignment
from coordinator.extensions import db
from coordinator.states import DrawKind, DrawnStatus
from tests.app.county import PASSWORD, build_county, dispatched_county_campaign
from tests.xlsx import write_xlsx

HEADER = ["专家编号", "姓名", "工作单位", "所属部门", "专业领域", "联系电话", "利害关系单位"]


@pytest.fixture
def county_campaign(ctx):
    county = build_county()
    return county, dispatched_county_campaign(county)


def chemical(campaign):
    return sorted((cs for cs in campaign.subjects if cs.status == DrawnStatus.ACTIVE
                   and cs.subject.industry == "危险化学品"), key=lambda cs: cs.subject.credit_code)


def pool_file(tmp_path, campaign, name="experts.xlsx", extra=()):
    first, second = chemical(campaign)[:2]
    rows = [HEADER,
            ["ZJ001", "王工", "省化工研究院", "", "危险化学品、工贸", "13900000001", first.subject.credit_code],
            ["ZJ002", "李工", second.subject.name, "", "危险化学品", "", ""],  # works there: must avoid it
            ["ZJ003", "赵工", "县应急管理局", "应急管理局", "危险化学品", "", ""],
            ["ZJ004", "钱工", "市安全协会", "", "危险化学品", "", ""],
            ["ZJ005", "孙工", "市安全协会", "", "工贸", "", ""], *extra]
    return write_xlsx(tmp_path / name, rows)


def test_experts_come_in_through_the_import_pipeline_row_by_row(county_campaign, tmp_path):
    county, campaign = county_campaign
    refused = pool_file(tmp_path, campaign, "bad.xlsx", [["ZJ006", "周工", "", "县交通局", "危险化学品", "", ""],
                                                         ["ZJ007", "", "", "", "", "", ""]])
    report = run_import(experts.ExpertImporter(), refused, dry_run=True)  # the preview
    assert not report.applied and db.session.scalar(sa.select(sa.func.count()).select_from(Expert)) == 0
    assert [(r.row, r.reasons) for r in report.refused] == [
        (7, ["所属部门“县交通局”不是本县的部门（部门外专家请留空）"]),
        (8, ["姓名为空", "专业领域为空（填写行业，多个用“、”分隔）"])]
    report = run_import(experts.ExpertImporter(), pool_file(tmp_path, campaign), dry_run=False)
    assert report.applied and report.created == 5
    again = run_import(experts.ExpertImporter(), pool_file(tmp_path, campaign), dry_run=False)
    assert again.unchanged == 5 and again.created == 0  # idempotent
    inside = db.session.scalar(sa.select(Expert).where(Expert.code == "ZJ003"))
    assert inside.department_id == county["yjj"].id and inside.where == "应急管理局"
    # a department's admin imports only its own specialists
    report = run_import(experts.ExpertImporter(county["scj"].id), pool_file(tmp_path, campaign), dry_run=True)
    assert any("只能导入本部门的专家" in r for row in report.refused for r in row.reasons)


def draw_experts(campaign, office, seed="专家-20240610"):
    round_ = rounds.open_fallback(campaign, DrawKind.EXPERTS, office, fallback_reason="测试：见证人报出种子",
                                  witness="见证人")
    rounds.run_round(round_, office, seed)
    db.session.commit()
    return round_.draw


def test_an_expert_draw_is_replayed_byte_for_byte_and_respects_recusal(county_campaign, tmp_path):
    county, campaign = county_campaign
    office = county["users"]["office"]
    run_import(experts.ExpertImporter(), pool_file(tmp_path, campaign), dry_run=False)
    with pytest.raises(experts.CampaignError, match="没有设定"):
        rounds.open_fallback(campaign, DrawKind.EXPERTS, office, fallback_reason="x", witness="y")
    experts.set_industries(campaign, ["危险化学品"])
    targets = chemical(campaign)
    draw = draw_experts(campaign, office)
    assert draw.kind == DrawKind.EXPERTS and draw.seed == "专家-20240610"
    problem = json.loads(draw.problem)
    assert [s["id"] for s in problem["strata"]] == [cs.subject.credit_code for cs in targets]
    first, second = targets[0].subject.credit_code, targets[1].subject.credit_code
    units = {u["id"] for u in problem["subjects"]}
    assert f"{first}/ZJ001" not in units and f"{second}/ZJ002" not in units  # recused before the draw
    assert f"{second}/ZJ001" in units and f"{first}/ZJ002" in units
    assert not any(u.endswith("/ZJ005") for u in units)  # does not know the industry
    # replay: the stored input and seed give the stored result, byte for byte
    assert replay(draw) is None
    assert solver.canonical_json(solver.draw_subjects({**problem, "seed": draw.seed})) == draw.result
    seated = db.session.scalars(sa.select(ExpertAssignment).order_by(ExpertAssignment.id)).all()
    assert [a.campaign_subject.subject.credit_code for a in seated] == [cs.subject.credit_code for cs in targets]
    assert not any(a.expert.must_avoid(a.campaign_subject.subject) for a in seated)
    assert all(a.draw_id == draw.id for a in seated)
    # a tampered record no longer replays
    db.session.execute(sa.update(Draw).where(Draw.id == draw.id).values(seed="别的种子"))
    db.session.expire_all()
    assert replay(db.session.get(Draw, draw.id)) == "重放结果与保存的结果不一致"
    # and once every enterprise has its expert there is nothing left to draw
    with pytest.raises(experts.CampaignError, match="没有需要抽取专家"):
        rounds.open_fallback(campaign, DrawKind.EXPERTS, office, fallback_reason="x", witness="y")


def test_recusal_leaves_an_enterprise_without_expert_rather_than_send_one_who_must_avoid(county_campaign, tmp_path):
    county, campaign = county_campaign
    target = chemical(campaign)[0]
    rows = [HEADER, ["ZJ001", "王工", "", "", "危险化学品", "", target.subject.credit_code]]
    run_import(experts.ExpertImporter(), write_xlsx(tmp_path / "one.xlsx", rows), dry_run=False)
    experts.set_industries(campaign, ["危险化学品"])
    draw = draw_experts(campaign, county["users"]["office"])
    assert target.subject.credit_code in experts.short(draw)
    assert not target.expert_assignments and replay(draw) is None


def expert_in_workbook(data: bytes, name: str) -> bool:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return any(name in book.read(part).decode() for part in book.namelist() if part.endswith(".xml"))


def test_the_drawn_expert_is_on_the_joint_record_and_the_pages_are_scoped(app, county_campaign, tmp_path):
    county, campaign = county_campaign
    run_import(experts.ExpertImporter(), pool_file(tmp_path, campaign), dry_run=False)
    experts.set_industries(campaign, ["危险化学品"])
    draw_experts(campaign, county["users"]["office"])
    cs = chemical(campaign)[0]
    expert = cs.expert_assignments[0].expert
    scj = app.test_client()
    scj.post("/login", data={"username": "scj_officer", "password": PASSWORD})
    sheet = scj.get(f"/campaigns/{campaign.id}/records/{cs.id}").data.decode()
    assert expert.name in sheet and "随同检查专家" in sheet
    assert expert.name in scj.get(f"/campaigns/{campaign.id}/experts").data.decode()
    workbook = scj.get(f"/campaigns/{campaign.id}/records/{cs.id}.xlsx")
    assert workbook.status_code == 200 and expert_in_workbook(workbook.data, expert.name)
    assert scj.post(f"/campaigns/{campaign.id}/experts", data={"industries": "工贸"}).status_code == 403
    outsider = app.test_client()
    outsider.post("/login", data={"username": "hbj_admin", "password": PASSWORD})
    assert outsider.get(f"/campaigns/{campaign.id}/experts").status_code == 403
    assert "王工" in outsider.get("/experts").data.decode()


def test_the_normal_way_is_a_commit_reveal_round_and_replay_draw_checks_it(app, county_campaign, tmp_path):
    county, campaign = county_campaign
    office = county["users"]["office"]
    run_import(experts.ExpertImporter(), pool_file(tmp_path, campaign), dry_run=False)
    experts.set_industries(campaign, ["危险化学品"])
    db.session.commit()
    round_ = rounds.open_round(campaign, DrawKind.EXPERTS, office)
    assert [c.label for c in round_.contributions] == ["领导小组办公室", "应急管理局", "市场监督管理局"]
    assert round_.draw_id is None  # nothing locked before the commitments close
    with pytest.raises(experts.CampaignError, match="进行中"):
        rounds.open_round(campaign, DrawKind.EXPERTS, office)
    db.session.rollback()  # that round is dropped; the recorded fallback draws instead
    draw = draw_experts(campaign, office, seed="20240610")
    result = app.test_cli_runner().invoke(args=["replay-draw", str(campaign.id)])
    assert f"抽取记录 {draw.id}（experts，种子 20240610" in result.output and "0 条不一致" in result.output


# ---- editing by hand: the office the whole pool, a department's admin its own specialists ----------------------


def signed_in(app, username):
    client = app.test_client()
    client.post("/login", data={"username": username, "password": PASSWORD})
    return client


def expert(code: str) -> Expert:
    db.session.expire_all()
    return db.session.scalar(sa.select(Expert).where(Expert.code == code))


def test_the_departments_admin_edits_and_disables_its_own_expert_audited(app, county_campaign, tmp_path):
    from coordinator.audit.models import AuditEntry

    county, campaign = county_campaign
    run_import(experts.ExpertImporter(), pool_file(tmp_path, campaign), dry_run=False)
    yjj = signed_in(app, "yjj_admin")
    page = yjj.get("/experts").get_data(as_text=True)
    ours = expert("ZJ003")
    assert f"/experts/{ours.id}/edit" in page and f"/experts/{expert('ZJ001').id}/edit" not in page
    form = yjj.get(f"/experts/{ours.id}/edit").get_data(as_text=True)
    assert 'value="危险化学品"' in form and "ZJ003" in form
    # The import's rules, in Chinese, and nothing saved.
    refused = yjj.post(f"/experts/{ours.id}/edit", data={"name": "", "specialties": "", "employer": "县应急管理局"})
    assert "姓名为空" in refused.get_data(as_text=True) and "专业领域为空" in refused.get_data(as_text=True)
    assert expert("ZJ003").name == "赵工"
    # A department's admin cannot move its expert to another department, whatever it posts.
    saved = yjj.post(f"/experts/{ours.id}/edit", data={
        "name": "赵高工", "employer": "县应急管理局", "specialties": "危险化学品、烟花爆竹", "phone": "13900000003",
        "conflicts": "", "department_id": str(county["scj"].id)})
    assert saved.status_code in (302, 303)
    edited = expert("ZJ003")
    assert (edited.name, edited.specialties, edited.phone, edited.department_id, edited.code) == (
        "赵高工", ["危险化学品", "烟花爆竹"], "13900000003", county["yjj"].id, "ZJ003")
    yjj.post(f"/experts/{ours.id}/active")
    assert not expert("ZJ003").active and "ZJ003" not in [e.code for e in experts.pool()]
    yjj.post(f"/experts/{ours.id}/active")
    assert expert("ZJ003").active
    changes = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "expert",
                                                             AuditEntry.entity_id == str(ours.id),
                                                             AuditEntry.action == "update")
                                 .order_by(AuditEntry.seq)).all()  # in the order they happened, on any database
    assert len(changes) == 3 and all(e.user_name == "yjj_admin" for e in changes)
    first = json.loads(changes[0].changes)
    assert (first["before"]["name"], first["after"]["name"]) == ("赵工", "赵高工")
    assert [json.loads(e.changes)["after"] for e in changes[1:]] == [{"active": False}, {"active": True}]


def test_the_office_edits_any_expert_and_moves_it_between_departments(app, county_campaign, tmp_path):
    county, campaign = county_campaign
    run_import(experts.ExpertImporter(), pool_file(tmp_path, campaign), dry_run=False)
    office = signed_in(app, "office")
    outside = expert("ZJ001")
    response = office.post(f"/experts/{outside.id}/edit", data={
        "name": "王工", "employer": "省化工研究院", "specialties": "危险化学品", "phone": "",
        "conflicts": "91130000000000001x", "department_id": str(county["scj"].id)})
    assert response.status_code in (302, 303)
    moved = expert("ZJ001")
    assert moved.department_id == county["scj"].id and moved.conflicts == ["91130000000000001X"]
    office.post(f"/experts/{outside.id}/edit", data={"name": "王工", "specialties": "危险化学品", "department_id": ""})
    assert expert("ZJ001").department_id is None  # back outside the departments


def test_the_office_and_a_departments_admin_add_an_expert_by_hand_audited(app, county_campaign, tmp_path):
    from coordinator.audit.models import AuditEntry

    county, campaign = county_campaign
    run_import(experts.ExpertImporter(), pool_file(tmp_path, campaign), dry_run=False)
    yjj = signed_in(app, "yjj_admin")
    assert "/experts/new" in yjj.get("/experts").get_data(as_text=True)
    # The import's reasons, and a 专家编号 already in the pool is refused rather than overwritten.
    refused = yjj.post("/experts/new", data={"code": "", "name": "", "specialties": ""}).get_data(as_text=True)
    assert "专家编号为空" in refused and "姓名为空" in refused and "专业领域为空" in refused
    taken = yjj.post("/experts/new", data={"code": "zj001", "name": "冒名", "specialties": "工贸"})
    assert "专家编号ZJ001已在专家库中（王工），请编辑该专家" in taken.get_data(as_text=True)
    assert expert("ZJ001").name == "王工" and db.session.scalar(sa.select(sa.func.count()).select_from(Expert)) == 5
    # A department's admin adds to its own department, whatever department it posts.
    added = yjj.post("/experts/new", data={"code": "zj 010", "name": "周工", "employer": "县应急管理局",
                                           "specialties": "烟花爆竹、工贸", "phone": "13900000010", "conflicts": "",
                                           "department_id": str(county["scj"].id)})
    assert added.status_code in (302, 303)
    new = expert("ZJ010")
    assert (new.name, new.department_id, new.specialties, new.active) == (
        "周工", county["yjj"].id, ["烟花爆竹", "工贸"], True)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "expert",
                                                          AuditEntry.entity_id == str(new.id),
                                                          AuditEntry.action == "insert"))
    assert entry.user_name == "yjj_admin" and json.loads(entry.changes)["after"]["name"] == "周工"
    # The office adds outside the departments or into any one; an officer may not add at all.
    office = signed_in(app, "office")
    office.post("/experts/new", data={"code": "ZJ011", "name": "吴工", "specialties": "危险化学品",
                                      "department_id": ""})
    office.post("/experts/new", data={"code": "ZJ012", "name": "郑工", "specialties": "危险化学品",
                                      "department_id": str(county["scj"].id)})
    assert expert("ZJ011").department_id is None and expert("ZJ012").department_id == county["scj"].id
    officer = signed_in(app, "yjj_officer")
    assert officer.get("/experts/new").status_code == 403
    assert officer.post("/experts/new", data={"code": "ZJ013", "name": "冯工", "specialties": "工贸"}).status_code == 403
    assert expert("ZJ013") is None and "/experts/new" not in officer.get("/experts").get_data(as_text=True)


@pytest.mark.parametrize("username, code", [
    ("scj_admin", "ZJ003"),  # another department's specialist
    ("yjj_admin", "ZJ001"),  # an expert outside the departments: the office's
    ("yjj_officer", "ZJ003"),  # its own department's, but not its administrator
])
def test_others_get_403_and_change_nothing(app, county_campaign, tmp_path, username, code):
    _county, campaign = county_campaign
    run_import(experts.ExpertImporter(), pool_file(tmp_path, campaign), dry_run=False)
    client = signed_in(app, username)
    target = expert(code)
    assert client.get(f"/experts/{target.id}/edit").status_code == 403
    assert client.post(f"/experts/{target.id}/edit", data={"name": "改名", "specialties": "工贸"}).status_code == 403
    assert client.post(f"/experts/{target.id}/active").status_code == 403
    after = expert(code)
    assert (after.name, after.active) == (target.name, True)
    assert f"/experts/{target.id}/edit" not in client.get("/experts").get_data(as_text=True)
