"""The county statistics form and the dashboard, counted on a small campaign whose right answers are known."""
from __future__ import annotations

import re
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from coordinator.campaigns import rules
from coordinator.campaigns import services as campaigns
from coordinator.campaigns.models import Campaign, TeamMember
from coordinator.directories.models import Subject
from coordinator.extensions import db
from coordinator.items.models import Item
from coordinator.plans import services as plans
from coordinator.results import services as results
from coordinator.stats import services
from coordinator.stats.xlsx import write_form
from tests.app.county import PASSWORD, build_county, campaign_values, drawn_campaign, report_and_publish
from tests.app.stats_kit import dispatch, enter, records

PROBLEM, PENDING = "发现问题已责令改正", "发现问题待后续处理"
KEYS = [f.key for f in services.FIGURES]


@pytest.fixture
def county(ctx):
    return build_county(subjects=16)  # 8 drawn: enough for the cases below, and quick


@pytest.fixture
def world(county):
    """yjj (lead) and scj inspect 8 enterprises jointly; scj declines one, so its visit is yjj's alone.

    Results, by record (yjj's result | scj's result):
      solo  未发现问题                                          | — (declined)
      r1    1 problem item, 责令改正 + 行政指导, questions answered | no problem          → published
      r2    no problem, questions answered                        | 1 problem, 立案调查  → 待审核
      r3    1 problem, 行政指导                                   | 1 problem, 行政指导 + 异常名录 + 责令改正
      r4    no problem                                            | draft with a problem, not handed in
      r5    1 problem, 立案调查                                   | 1 problem, 行政指导, sent back (退回)
    One yjj member of r1's team is recused before dispatch; his replacement takes the seat.
    """
    campaign = drawn_campaign(county)
    office = county["users"]["office"]
    dispatch(campaign, county, decline=0)
    all_records = records(campaign)
    solo = next(r for r in all_records if len(r.department_results) == 1)
    r1, r2, r3, r4, r5 = [r for r in all_records if len(r.department_results) == 2][:5]
    leaving = next(m for m in r1.campaign_subject.active_members
                   if m.department_id == county["yjj"].id and not m.is_leader)
    campaigns.recuse(campaign, leaving, "其配偶在该单位任职", office)

    enter(solo, county, "yjj")
    enter(r1, county, "yjj", PROBLEM, 2, ("责令改正", "行政指导"), questions=True, inspected_on=date(2024, 7, 2))
    enter(r1, county, "scj")
    report_and_publish(r1, office)
    enter(r2, county, "yjj", questions=True)
    enter(r2, county, "scj", PENDING, 1, ("立案调查",))
    enter(r3, county, "yjj", PENDING, 3, ("行政指导",))
    enter(r3, county, "scj", PROBLEM, 1, ("行政指导", "列入经营异常名录", "责令改正"))
    enter(r4, county, "yjj")
    enter(r4, county, "scj", PENDING, 1, ("行政指导",), submit=False)
    enter(r5, county, "yjj", PENDING, 1, ("立案调查",))
    enter(r5, county, "scj", PENDING, 1, ("行政指导",))
    results.send_back(r5, [county["scj"].id], "问题描述不完整", office)
    db.session.commit()
    return {"campaign": campaign, "solo": solo, "r": [r1, r2, r3, r4, r5], "recused": leaving,
            "records": all_records}


def active_inspectors(records_, department_id) -> set[int]:
    """An independent count: active members of the department on the given records."""
    return {m.inspector_id for r in records_ for m in r.campaign_subject.active_members
            if m.department_id == department_id}


def figures(row) -> dict:
    return {k: row.figures[k] for k in KEYS if k != "inspectors"}


def test_each_figure_of_the_form_on_a_known_campaign(county, world):
    form = services.county_form(services.campaign_scope(world["campaign"].id))
    rows = {row.department: row for row in form.rows}
    assert list(rows) == ["应急管理局", "市场监督管理局"]  # the reporting departments, in department order

    assert figures(rows["应急管理局"]) == {
        "enterprises": 6, "problem_items": 3, "problem_enterprises": 3, "guidance": 2, "abnormal_list": 0,
        "case_filed": 1, "questions_answered": 2}
    # r4's draft and r5's returned department result do not count
    assert figures(rows["市场监督管理局"]) == {
        "enterprises": 3, "problem_items": 2, "problem_enterprises": 2, "guidance": 1, "abnormal_list": 1,
        "case_filed": 1, "questions_answered": 0}
    # the total counts r3 once, though both departments found problems and gave guidance there
    assert figures(form.total) == {
        "enterprises": 6, "problem_items": 5, "problem_enterprises": 4, "guidance": 2, "abnormal_list": 1,
        "case_filed": 2, "questions_answered": 2}


def test_inspectors_are_the_active_members_of_the_counted_teams(county, world):
    r1, r2, r3, r4, r5 = world["r"]
    yjj, scj = county["yjj"].id, county["scj"].id
    form = services.county_form(services.campaign_scope(world["campaign"].id))
    rows = {row.department_id: row.figures["inspectors"] for row in form.rows}
    expected_yjj = active_inspectors([world["solo"], r1, r2, r3, r4, r5], yjj)
    expected_scj = active_inspectors([r1, r2, r3], scj)
    assert world["recused"].inspector_id not in active_inspectors([r1], yjj)
    assert rows == {yjj: len(expected_yjj), scj: len(expected_scj)}
    assert form.total.figures["inspectors"] == len(expected_yjj | expected_scj)
    assert len(expected_yjj) >= 2 and len(expected_scj) >= 2


def test_a_recused_inspector_is_not_counted(county):
    """One record, one department: exactly its two seated inspectors, not the one who left."""
    campaign = dispatch(drawn_campaign(county), county)
    record = records(campaign)[0]
    yjj = county["yjj"].id
    leaving = next(m for m in record.campaign_subject.active_members if m.department_id == yjj)
    campaigns.recuse(campaign, leaving, "近亲属在该单位任职", county["users"]["office"])
    enter(record, county, "yjj")
    db.session.commit()
    form = services.county_form(services.campaign_scope(campaign.id))
    assert {r.department: r.figures["inspectors"] for r in form.rows} == {"应急管理局": 2, "市场监督管理局": 0}
    assert form.total.figures["inspectors"] == 2
    seated = db.session.scalars(sa.select(TeamMember).where(
        TeamMember.campaign_subject_id == record.campaign_subject_id, TeamMember.department_id == yjj)).all()
    assert len(seated) == 3 and sum(m.recused_at is None for m in seated) == 2


def test_the_year_counts_by_inspection_date(county, world):
    campaign_form = services.county_form(services.campaign_scope(world["campaign"].id))
    year_form = services.county_form(services.year_scope(2024))
    assert [r.values() for r in year_form.rows] == [r.values() for r in campaign_form.rows]
    assert year_form.total.values() == campaign_form.total.values()
    empty = services.county_form(services.year_scope(2023))
    assert empty.rows == [] and set(empty.total.values()) == {0}

    r1 = world["r"][0]
    r1.inspected_on = date(2025, 1, 3)  # the lead department's date wins over the team's visit date
    db.session.commit()
    next_year = services.county_form(services.year_scope(2025))
    assert [(r.department, r.figures["enterprises"], r.figures["problem_items"]) for r in next_year.rows] == [
        ("应急管理局", 1, 1), ("市场监督管理局", 1, 0)]
    assert services.county_form(services.year_scope(2024)).total.figures["enterprises"] == 5
    assert services.years_with_records() == [2025, 2024]


def test_follow_ups_stored_unescaped_are_matched_too(county, world):
    """Rows written by another client (json without \\u escapes) count the same."""
    department_result = next(p for p in world["r"][1].department_results if p.department_id == county["yjj"].id)
    db.session.execute(sa.text("UPDATE department_result SET follow_ups = :v WHERE id = :id"),
                       {"v": '["立案调查"]', "id": department_result.id})
    db.session.commit()
    total = services.county_form(services.campaign_scope(world["campaign"].id)).total
    assert total.figures["case_filed"] == 2  # r2 already counted through scj
    rows = {r.department: r for r in services.county_form(services.campaign_scope(world["campaign"].id)).rows}
    assert rows["应急管理局"].figures["case_filed"] == 2


# ---- the workbook --------------------------------------------------------------------------------

HEADER_ROWS = [
    ["报表单位", "随机抽查企业(户)", "随机抽取执法人员(人)", "发现问题", "", "抽查结果处理", "", "", "现场解答疑难问题(户)"],
    ["", "", "", "发现问题事项(项)", "发现问题企业(个)", "行政指导(户)", "应列异常名录(户)", "涉嫌违法应立案调查(户)", ""],
]
MERGED = {"A1:I1", "A2:I2", "A3:E3", "F3:I3", "A4:A5", "B4:B5", "C4:C5", "D4:E4", "F4:H4", "I4:I5"}


def sheet_xml(path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


def test_the_workbook_has_the_annex_layout_cell_by_cell(county, world, tmp_path):
    path = tmp_path / "form.xlsx"
    form = services.county_form(services.campaign_scope(world["campaign"].id))
    write_form(str(path), form, office="河清县“双随机、一公开”工作领导小组办公室", filled_on=date(2026, 11, 22))
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "全县“双随机、一公开”部门联合抽查统计表"
    assert rows[1][0] == "统计范围：2024年度测试联合抽查"
    assert rows[2][0] == "填报单位：河清县“双随机、一公开”工作领导小组办公室"
    assert rows[2][5] == "填报日期：2026年11月22日"
    assert rows[3] == HEADER_ROWS[0]
    assert rows[4] == HEADER_ROWS[1]
    assert rows[5][0] == "应急管理局" and rows[6][0] == "市场监督管理局"
    assert [int(v) for v in rows[5][1:]] == form.rows[0].values()
    assert [int(v) for v in rows[6][1:]] == form.rows[1].values()
    assert rows[7][0] == "合计" and [int(v) for v in rows[7][1:]] == form.total.values()
    assert rows[8][0].startswith("说明：")

    xml = sheet_xml(path)
    merged = set(re.findall(r'<mergeCell ref="([A-Z]+\d+:[A-Z]+\d+)"/>', xml))
    assert merged >= MERGED and merged - MERGED == {"A9:I9"}  # and the note
    setup = re.search(r"<pageSetup [^>]*/>", xml).group(0)
    assert 'orientation="landscape"' in setup and 'paperSize="9"' in setup and 'fitToHeight="0"' in setup
    assert '<pageSetUpPr fitToPage="1"/>' in xml
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
    assert "_xlnm.Print_Titles" in workbook and "统计表!$4:$5" in workbook


def test_a_department_name_that_looks_like_a_formula_stays_text(county, world, tmp_path):
    county["scj"].name = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    path = tmp_path / "form.xlsx"
    write_form(str(path), services.county_form(services.campaign_scope(world["campaign"].id)),
               office="办公室", filled_on=date(2026, 11, 22))
    assert "<f>" not in sheet_xml(path)


# ---- command line --------------------------------------------------------------------------------


def test_cli_writes_the_form_for_a_campaign_or_a_year(county, world, runner, tmp_path):
    path = tmp_path / "c.xlsx"
    result = runner.invoke(args=["stats-form", "--campaign", str(world["campaign"].id), str(path)])
    assert result.exit_code == 0, result.output
    assert "抽查企业6户" in result.output and path.read_bytes()[:2] == b"PK"
    result = runner.invoke(args=["stats-form", "--year", "2024", str(tmp_path / "y.xlsx")])
    assert result.exit_code == 0, result.output
    rows = CalamineWorkbook.from_path(str(tmp_path / "y.xlsx")).get_sheet_by_index(0).to_python()
    assert rows[7][0] == "合计" and int(rows[7][1]) == 6


@pytest.mark.parametrize("args", [
    [],  # neither
    ["--campaign", "1", "--year", "2024"],  # both
    ["--campaign", "999"],  # no such campaign
    ["--campaign", "abc"],
    ["--year", "24"],
    ["--year", "1800"],
])
def test_cli_refuses_bad_input_with_one_chinese_line(ctx, runner, tmp_path, args):
    result = runner.invoke(args=["stats-form", *args, str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and re.search(r"[\u4e00-\u9fff]", lines[0])
    assert not (tmp_path / "x.xlsx").exists()


def test_cli_reports_a_file_it_cannot_write(ctx, runner, tmp_path):
    result = runner.invoke(args=["stats-form", "--year", "2024", str(tmp_path / "missing" / "x.xlsx")])
    assert result.exit_code == 2 and result.output.strip().startswith("错误：无法写入文件")


# ---- the dashboard -------------------------------------------------------------------------------


def test_dashboard_figures_on_a_known_year(county, world):
    office = county["users"]["office"]
    # a second campaign of 2024, drawn with equal weights (no credit-risk classes), not yet dispatched
    plain = campaigns.create_campaign(campaign_values(
        name="2024年度测试单部门抽查", period_start=date(2024, 9, 1), period_end=date(2024, 10, 31),
        items_deadline=date(2024, 9, 5), visit_start=date(2024, 9, 10), visit_end=date(2024, 10, 20),
        risk_weights={"A": 1, "B": 1, "C": 1, "D": 1, "": 1}, burden_months=0,
        strata=[{"id": "全部", "category": "*", "crowded": None, "mode": "ratio", "value": 0.25}]),
        county["yjj"], [], office)
    db.session.flush()
    ids = list(db.session.scalars(sa.select(Item.id).where(Item.department_id == county["yjj"].id)))
    campaigns.submit_items(plain, county["yjj"].id, ids, "", county["users"]["yjj_admin"])
    campaigns.lock_subject_draw(plain, office)
    campaigns.run_subject_draw(plain, "5", "", office)
    # and a task of the year's plan no campaign carries out yet
    plan = plans.create_plan(2024, county["yjj"], "河清县")
    db.session.flush()
    plans.add_task(plan, {"name": "成品油专项", "task_type": "定向", "ratio": "20%", "items": "成品油",
                              "scope": "成品油经营企业", "start_month": "2024-09", "end_month": "2024-10"}, [])
    db.session.commit()
    assert not rules.uses_credit_risk(plain.risk_weights) and len(plain.subjects) == 4

    d = services.dashboard(2024)
    assert (d["enterprises"], d["problem_enterprises"], d["rectification_notices"], d["case_filed"]) == (6, 4, 2, 2)
    assert (d["visits"], d["joint_visits"], d["joint_visit_rate"]) == (6, 5, 83.3)
    assert (d["campaigns"], d["dispatched_campaigns"], d["joint_campaigns"], d["joint_campaign_rate"]) == (2, 1, 1, 100.0)
    assert (d["tasks"], d["finished_tasks"], d["task_completion_rate"]) == (3, 0, 0.0)
    assert (d["records_opened"], d["records_completed"], d["inspection_completion_rate"]) == (8, 4, 50.0)
    assert (d["records_published"], d["publication_rate"]) == (1, 25.0)
    assert (d["drawn"], d["drawn_with_risk"], d["credit_risk_rate"]) == (12, 8, 66.7)
    assert (d["department_visits"], d["burden"], d["burden_separate"]) == (9, 1.0, 1.5)
    assert d["follow_ups"] == {"无需后续处置": 4, "行政指导": 3, "责令改正": 2, "列入经营异常名录": 1,
                               "立案调查": 2, "移送其他部门": 0, "移送司法机关": 0}
    assert d["monthly_visits"][5:7] == [5, 1] and sum(d["monthly_visits"]) == 6  # r1 was inspected on 2 July

    chart = services.chart_data(d)
    assert chart["departments"]["labels"] == ["应急管理局", "市场监督管理局"]
    assert chart["departments"]["enterprises"] == [6, 3]
    assert chart["rates"]["values"][:3] == [83.3, 100.0, 66.7]


def test_an_empty_year_has_no_rates_rather_than_zero(ctx):
    d = services.dashboard(2030)
    assert d["enterprises"] == 0 and d["joint_visit_rate"] is None and d["burden"] is None


# ---- pages and who may see them ------------------------------------------------------------------


def client_for(app, username):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code in (302, 303)
    return client


def test_the_stats_page_shows_the_form_and_the_download_is_the_same(app, county, world):
    office = client_for(app, "office")
    cid = world["campaign"].id
    page = office.get(f"/stats/?campaign={cid}").get_data(as_text=True)
    assert "全县“双随机、一公开”部门联合抽查统计表" in page and 'colspan="3"' in page and "抽查结果处理" in page
    assert office.get("/stats/").status_code == 200  # the latest year with records by default
    response = office.get(f"/stats/form.xlsx?campaign={cid}")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert "attachment" in response.headers["Content-Disposition"]
    assert office.get("/stats/form.xlsx?year=2024").status_code == 200
    assert office.get("/stats/form.xlsx?campaign=999").status_code == 404
    assert office.get("/stats/form.xlsx?year=abc").status_code == 400
    assert office.get(f"/stats/form.xlsx?year=2024&campaign={cid}").status_code == 400


@pytest.mark.parametrize("username", ["yjj_admin", "scj_officer"])
def test_departments_taking_part_get_the_campaign_form_and_the_year(app, county, world, username):
    client = client_for(app, username)
    cid = world["campaign"].id
    assert client.get(f"/stats/?campaign={cid}").status_code == 200
    assert client.get(f"/stats/form.xlsx?campaign={cid}").status_code == 200
    assert client.get("/stats/form.xlsx?year=2024").status_code == 200


def test_a_department_outside_the_campaign_gets_the_year_but_not_the_campaign(app, county, world):
    outsider = client_for(app, "hbj_admin")
    cid = world["campaign"].id
    assert outsider.get(f"/stats/?campaign={cid}").status_code == 403
    assert outsider.get(f"/stats/form.xlsx?campaign={cid}").status_code == 403
    assert outsider.get("/stats/?year=2024").status_code == 200
    assert "2024年度测试联合抽查" not in outsider.get("/stats/?year=2024").get_data(as_text=True)


def test_the_dashboard_is_the_offices(app, county, world):
    office = client_for(app, "office")
    page = office.get("/stats/dashboard?year=2024")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'type="application/json" id="dashboard-data"' in html
    assert "vendor/chart.umd.min.js" in html and "js/dashboard.js" in html
    assert not re.search(r"<script(?![^>]*(src=|application/json))[^>]*>", html)  # no inline script
    for username in ("yjj_admin", "yjj_officer", "scj_admin", "hbj_admin"):
        assert client_for(app, username).get("/stats/dashboard").status_code == 403
    anonymous = app.test_client().get("/stats/dashboard")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["Location"]
    assert app.test_client().get("/stats/form.xlsx?year=2024").status_code in (302, 303)


def test_chart_js_is_loaded_only_by_the_dashboard(app, county, world):
    office = client_for(app, "office")
    for url in ("/", "/stats/", "/results/", "/campaigns/"):
        assert "chart.umd.min.js" not in office.get(url).get_data(as_text=True), url
    vendored = app.test_client().get("/static/vendor/chart.umd.min.js")
    assert vendored.status_code == 200 and b"Chart.js v4" in vendored.data[:200]
    vendored.close()


def test_the_form_and_the_dashboard_open_on_the_latest_year_with_results(app, county, world):
    # A record planned for next year with nothing handed in yet: a year of records, but of no results.
    waiting = world["r"][3]
    waiting.campaign_subject.visit_date = date(2025, 3, 3)
    for department_result in waiting.department_results:
        department_result.submitted_at = None
    db.session.commit()
    assert services.years_with_records()[0] == 2025 and services.latest_year_with_results() == 2024
    office = client_for(app, "office")
    form = office.get("/stats/").get_data(as_text=True)
    assert '<option value="2024" selected>' in form and "2024年度（按检查日期）" in form
    dashboard = office.get("/stats/dashboard").get_data(as_text=True)
    assert '<option value="2024" selected>' in dashboard


def test_credit_risk_counts_only_draws_the_classes_shaped_and_enterprises_with_a_class(county):
    """Seed 002's ≥ 90 %: default weights differ by class, but a campaign whose scope held class-B enterprises only
    was not shaped by the classes; an enterprise without a class is not counted either."""
    year_of = {"period_start": date(2024, 9, 1), "period_end": date(2024, 10, 31), "items_deadline": date(2024, 9, 5),
               "visit_start": date(2024, 9, 10), "visit_end": date(2024, 10, 20), "burden_months": 0}
    only_b = drawn_campaign(county, name="只含B类的抽查", scope={"risk_classes": ["B"]}, **year_of)
    assert rules.uses_credit_risk(only_b.risk_weights) and len(only_b.subjects) == 2  # the old rule counted these
    mixed = drawn_campaign(county, name="各类混合的抽查", **year_of)
    unclassified = next(cs for cs in mixed.subjects if cs.subject.risk_class == "A")
    unclassified.subject.risk_class = ""
    db.session.commit()
    in_year = Campaign.period_start.between(date(2024, 1, 1), date(2024, 12, 31))
    assert services.drawn_with_risk(in_year) == len(mixed.subjects) - 1


def test_credit_risk_does_not_count_enterprises_the_classes_could_not_have_shaped(county):
    """A stratum that takes every enterprise ("all", or a ratio of 1) and a must-inspect enterprise are drawn whatever
    their class: their default weights differ by class, yet the classes shaped nothing — the acceptance check's special
    inspection (crowded key units: all) counted 129 such enterprises towards seed 002's ≥ 90 %."""
    year_of = {"period_start": date(2024, 9, 1), "period_end": date(2024, 10, 31), "items_deadline": date(2024, 9, 5),
               "visit_start": date(2024, 9, 10), "visit_end": date(2024, 10, 20), "burden_months": 0}
    everyone = drawn_campaign(county, name="全部抽取的专项检查",
                              strata=[{"id": "全部", "category": "*", "crowded": None, "mode": "all", "value": None}],
                              **year_of)
    whole = drawn_campaign(county, name="比例为1的抽查",
                           strata=[{"id": "全部", "category": "*", "crowded": None, "mode": "ratio", "value": 1.0}],
                           **year_of)
    assert rules.uses_credit_risk(everyone.risk_weights) and len({cs.subject.risk_class for cs in everyone.subjects}) > 1
    assert len(whole.subjects) == len(everyone.subjects) > 0
    in_year = Campaign.period_start.between(date(2024, 1, 1), date(2024, 12, 31))
    assert services.drawn_with_risk(in_year) == 0

    # a must-inspect enterprise beside a stratum the classes did shape: the stratum's others count, it does not
    for subject in db.session.scalars(sa.select(Subject).where(Subject.risk_class == "D").limit(3)):
        subject.major_hazard = True
    db.session.commit()
    must_first = drawn_campaign(county, name="含必查对象的抽查", must_flags=["major_hazard"],
                                period_start=date(2023, 9, 1), period_end=date(2023, 10, 31),
                                items_deadline=date(2023, 9, 5), visit_start=date(2023, 9, 10),
                                visit_end=date(2023, 10, 20), burden_months=0)
    musts = [cs for cs in must_first.subjects if cs.must]
    others = [cs for cs in must_first.subjects if not cs.must and cs.subject.risk_class]
    assert musts and others
    assert services.drawn_with_risk(Campaign.period_start.between(date(2023, 1, 1), date(2023, 12, 31))) == len(others)


def test_credit_risk_counts_a_class_drawn_at_a_ratio_of_its_own(county):
    """Seed 000's 上浮抽查比例: a class with a ratio of its own inside a stratum is drawn as a stratum of its own, one
    weight throughout — the class shaped its draw all the same, even at a ratio of 1 (every D inspected)."""
    raised = drawn_campaign(county, name="D类全部抽查", period_start=date(2022, 9, 1), period_end=date(2022, 10, 31),
                            items_deadline=date(2022, 9, 5), visit_start=date(2022, 9, 10), visit_end=date(2022, 10, 20),
                            burden_months=0, risk_weights={"A": 1, "B": 1, "C": 1, "D": 1, "": 1},
                            strata=[{"id": "全部", "category": "*", "crowded": None, "mode": "ratio", "value": 0.25,
                                     "risk_ratios": {"D": 1.0}}])
    d_class = [cs for cs in raised.subjects if cs.subject.risk_class == "D"]
    assert d_class and all(cs.stratum == "全部·D类" for cs in d_class)
    in_year = Campaign.period_start.between(date(2022, 1, 1), date(2022, 12, 31))
    assert services.drawn_with_risk(in_year) == len(d_class)
