"""Coverage duties (seeds 000 and 003) counted on a hand-made year whose answers are known."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from coordinator.campaigns.models import Campaign, CampaignDepartment
from coordinator.campaigns.services.items import in_scope_query
from coordinator.coverage import services
from coordinator.coverage.models import CoverageRule
from coordinator.directories.models import Subject
from coordinator.extensions import db
from coordinator.states import SubjectStatus
from tests.app.county import credit_code
from tests.app.coverage_year import inspect
from tests.conftest import login

ON = date(2025, 7, 15)
N = iter(range(1, 10_000))


def _subject(name: str, category: str = "一般单位", **flags) -> Subject:
    subject = Subject(credit_code=credit_code(next(N)), name=name, category=category, **flags)
    db.session.add(subject)
    db.session.flush()
    return subject


@pytest.fixture
def year(departments):
    """2025 in a county of 3 crowded and 5 other key units, 10 general units, 60 九小场所 (and a closed one),
    2 major-hazard and 3 troubled enterprises, with the inspections each rule's answer below depends on."""
    xfj, yjj, scj = departments["xfj"], departments["yjj"], departments["scj"]
    added = services.load_defaults()
    assert len(added) == 6
    crowded = [_subject(f"人员密集{i}", "消防安全重点单位", crowded=True) for i in range(3)]
    inspect(crowded[0], [xfj], date(2025, 3, 1))
    inspect(crowded[1], [xfj], date(2024, 12, 30))  # last year: does not count
    key = [_subject(f"重点{i}", "消防安全重点单位") for i in range(5)]
    for subject, day in zip(key[:3], (date(2025, 1, 1), date(2025, 6, 1), date(2025, 12, 31))):
        inspect(subject, [xfj], day)
    inspect(key[3], [yjj], date(2025, 4, 1))  # another department's inspection: not the fire brigade's
    general = [_subject(f"一般{i}") for i in range(10)]
    inspect(general[0], [scj, xfj], date(2025, 5, 5))  # a joint inspection counts for every department in it
    inspect(general[1], [xfj], date(2025, 2, 2))
    inspect(general[1], [xfj], date(2025, 9, 2))  # twice: one enterprise
    inspect(general[2], [xfj], date(2026, 1, 2))  # next year
    small = [_subject(f"九小{i}", "九小场所") for i in range(60)]
    inspect(small[0], [xfj], date(2025, 7, 1))
    closed = _subject("已注销九小", "九小场所", status=SubjectStatus.DEREGISTERED)
    inspect(closed, [xfj], date(2025, 7, 1))  # not in the population, so not done either
    hazard = [_subject(f"重大隐患{i}", major_hazard=True) for i in range(2)]
    inspect(hazard[0], [yjj], date(2025, 5, 5))
    t1 = _subject("投诉单位", has_complaint=True)
    t2 = _subject("黑名单单位", blacklisted=True)
    t3 = _subject("处罚单位", has_penalty=True)
    inspect(t1, [yjj], date(2025, 2, 1))
    inspect(t2, [yjj], date(2025, 6, 30))
    inspect(t1, [yjj], date(2025, 8, 1))
    quiet = _subject("无不良记录单位")
    inspect(quiet, [yjj], date(2025, 6, 30))
    db.session.commit()
    return {"xfj": xfj, "yjj": yjj, "scj": scj, "t1": t1, "t2": t2, "t3": t3, "quiet": quiet, "key": key,
            "crowded": crowded}


def _figures(rows):
    return {(row.rule.name[:6], row.label): (row.population, row.required, row.done, row.remaining, row.days_left)
            for row in rows}


def test_each_rule_is_counted_as_known(year):
    figures = _figures(services.report(2025, on=ON))
    assert figures == {
        ("人员密集场所", "2025年"): (3, 3, 1, 2, 170),
        ("其他消防安全", "2025年"): (5, 4, 3, 1, 170),
        # the 10 general units and the 2 major-hazard, 3 troubled and 1 quiet enterprise, all general units
        ("一般单位每年", "2025年"): (16, 4, 2, 2, 170),
        ("九小场所每年", "2025年"): (60, 2, 1, 1, 170),
        ("危险性较大的", "2025年"): (2, 2, 1, 1, 170),
        ("投诉举报多、", "2025年上半年"): (3, 3, 2, 1, 0),
        ("投诉举报多、", "2025年下半年"): (3, 3, 1, 2, 170),
    }


def test_one_department_and_one_period(year):
    rows = services.report(2025, year["yjj"].id, on=ON, period="h2")
    assert [(row.rule.department_id, row.label) for row in rows] == [(year["yjj"].id, "2025年"),
                                                                      (year["yjj"].id, "2025年下半年")]


def test_still_due_lists_exactly_the_enterprises_not_yet_inspected(year):
    due = {rule.name[:6]: {s.name for s in subjects} for rule, subjects in services.still_due(year["xfj"].id, ON)}
    assert due["人员密集场所"] == {"人员密集1", "人员密集2"}
    assert due["其他消防安全"] == {"重点3", "重点4"}  # 重点3 was inspected by yjj, not by the fire brigade
    half = {rule.name[:6]: {s.name for s in subjects} for rule, subjects in services.still_due(year["yjj"].id, ON)}
    assert half["投诉举报多、"] == {"黑名单单位", "处罚单位"}  # the complaint unit was inspected on 2025-08-01


def test_the_burden_cap_never_excludes_an_enterprise_a_rule_makes_due(year):
    """The blacklisted unit was inspected on 2025-06-30; a campaign in September skipping enterprises inspected in
    the last 12 months keeps it (the second half-year's duty is open) but leaves out the quiet unit inspected the
    same day and the complaint unit already inspected in this half-year."""
    campaign = Campaign(name="九月联合抽查", lead_department_id=year["yjj"].id, period_start=date(2025, 9, 1),
                        period_end=date(2025, 9, 30), visit_start=date(2025, 9, 1), visit_end=date(2025, 9, 30),
                        items_deadline=date(2025, 8, 25), burden_months=12)
    campaign.departments.append(CampaignDepartment(department_id=year["yjj"].id, is_lead=True))
    db.session.add(campaign)
    db.session.flush()
    names = set(db.session.scalars(in_scope_query(campaign).with_only_columns(Subject.name)))
    assert "黑名单单位" in names and "处罚单位" in names
    assert "无不良记录单位" not in names and "投诉单位" not in names
    # Without coverage rules the cap excludes the blacklisted unit as before.
    db.session.execute(sa.update(CoverageRule).values(active=False))
    names = set(db.session.scalars(in_scope_query(campaign).with_only_columns(Subject.name)))
    assert "黑名单单位" not in names


def test_a_campaign_takes_still_due_under_a_rule_as_its_must_inspect_list(year):
    rule = db.session.scalar(sa.select(CoverageRule).where(CoverageRule.name.startswith("投诉举报多")))
    due = set(db.session.scalars(services.due_subject_ids(None, date(2025, 9, 1), [rule.id])))
    assert due == {year["t2"].id, year["t3"].id}


def test_the_coverage_page_and_its_workbook(client, year, make_user, tmp_path, runner):
    make_user("office", None)
    login(client, "office_office")
    page = client.get("/coverage/?year=2025").get_data(as_text=True)
    assert "人员密集场所的消防安全重点单位每年至少抽查一次" in page and "人员密集2" not in page
    rule = db.session.scalar(sa.select(CoverageRule).where(CoverageRule.name.startswith("人员密集")))
    page = client.get(f"/coverage/?year=2025&show={rule.id}-2025-01-01").get_data(as_text=True)
    assert "人员密集1" in page and "人员密集2" in page and "人员密集0" not in page
    response = client.get(f"/coverage/export?year=2025&department={year['yjj'].id}")
    assert response.status_code == 200
    path = tmp_path / "coverage.xlsx"
    result = runner.invoke(args=["coverage", "--year", "2025", "--department", "XFJ", str(path)])  # as typed
    assert result.exit_code == 0, result.output
    unknown = runner.invoke(args=["coverage", "--year", "2025", "--department", "fire", str(path)])
    assert unknown.exit_code == 2 and "部门代码“fire”不存在（现有部门代码：" in unknown.output and "xfj" in unknown.output
    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name("覆盖情况").to_python()[2:]
    assert [(r[1][:6], r[5], r[6], r[7], r[8]) for r in rows] == [
        ("人员密集场所", 3, 3, 1, 2), ("其他消防安全", 5, 4, 3, 1), ("一般单位每年", 16, 4, 2, 2),
        ("九小场所每年", 60, 2, 1, 1)]
    due = book.get_sheet_by_name("尚未完成覆盖的对象").to_python()[1:]
    assert len(due) == 2 + 2 + 14 + 59
    assert {r[8] for r in due} <= {"A类（低风险）", "B类（一般风险）", "C类（较高风险）", "D类（高风险）", "未分类"}  # not codes


def test_a_year_without_inspections_points_to_the_years_with_them(client, year, make_user):
    assert services.years_inspected() == [2024, 2025, 2026]
    assert services.years_inspected(year["yjj"].id) == [2025]
    make_user("admin", "yjj")
    login(client, "admin_yjj")
    page = client.get("/coverage/?year=2027").get_data(as_text=True)
    assert "2027年还没有检查记录。有检查记录的年度：" in page and "/coverage/?year=2025" in page
    assert "year=2024" not in page  # the fire brigade's years are not the emergency bureau's
    assert "data-other-years" not in client.get("/coverage/?year=2025").get_data(as_text=True)


def test_a_department_sees_only_its_own_coverage(client, year, make_user):
    make_user("admin", "yjj")
    login(client, "admin_yjj")
    page = client.get("/coverage/?year=2025").get_data(as_text=True)
    assert "投诉举报多" in page and "人员密集场所" not in page
    assert client.get(f"/coverage/?department={year['xfj'].id}").status_code == 403
    assert client.get(f"/coverage/export?department={year['xfj'].id}").status_code == 403


def test_the_workbench_warns_when_a_period_ends_with_duties_open(year, client, make_user, monkeypatch):
    make_user("admin", "yjj")
    login(client, "admin_yjj")
    monkeypatch.setattr(services, "today", lambda: date(2025, 12, 10))
    page = client.get("/").get_data(as_text=True)
    assert "2025年下半年还差 2 户未检查" in page
    monkeypatch.setattr(services, "today", lambda: date(2025, 10, 10))
    assert "还差" not in client.get("/").get_data(as_text=True)


def test_the_still_due_sheet_lists_each_period_of_a_half_year_rule_apart(year, tmp_path):
    """One query per department serves every period: the half-year rule's two periods each list their own."""
    path = tmp_path / "yjj.xlsx"
    services.write_workbook(str(path), 2025, year["yjj"].id, on=ON)
    due = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("尚未完成覆盖的对象").to_python()[1:]
    listed = {}
    for row in due:
        listed.setdefault((row[1][:6], row[2]), set()).add(row[4])
    assert listed == {("危险性较大的", "2025年"): {"重大隐患1"},
                      ("投诉举报多、", "2025年上半年"): {"处罚单位"},
                      ("投诉举报多、", "2025年下半年"): {"黑名单单位", "处罚单位"}}
    assert [row[:3] for row in due if row[4] == "处罚单位"][0][0] == "应急管理局"


def test_a_rule_covers_the_enterprises_its_department_supervises(year):
    """Seed 003's “名录库中…的单位” is the emergency bureau's own directory; in the county's shared one its rules cover
    the industries its item list reaches. The demo's 应急管理局 owed a half-yearly visit to every restaurant and
    shop with a complaint (258, of which 83 in its industries). A department whose items reach every industry, or
    that has no items yet, keeps the whole population."""
    from coordinator.items.models import Item

    yjj = year["yjj"]
    for subject, industry in ((year["t1"], "危险化学品"), (year["t2"], "餐饮"), (year["t3"], "工贸")):
        subject.industry = industry
    db.session.add_all([Item(department_id=yjj.id, code="YJJ-1", name="危险化学品企业安全检查", industries="危险化学品、工贸"),
                        Item(department_id=yjj.id, code="YJJ-2", name="停用事项", industries="餐饮", active=False),
                        Item(department_id=year["xfj"].id, code="XFJ-1", name="消防监督抽查", industries="全部")])
    db.session.commit()
    figures = _figures(services.report(2025, on=ON))
    assert figures[("投诉举报多、", "2025年上半年")] == (2, 2, 1, 1, 0)  # the restaurant is not its duty
    assert figures[("危险性较大的", "2025年")] == (0, 0, 0, 0, 170)  # the hazards have no industry it reaches
    assert figures[("一般单位每年", "2025年")] == (16, 4, 2, 2, 170)  # the brigade: every industry, as before
    half = {rule.name[:6]: {s.name for s in subjects} for rule, subjects in services.still_due(yjj.id, ON)}
    assert half["投诉举报多、"] == {"处罚单位"}
    rule = db.session.scalar(sa.select(CoverageRule).where(CoverageRule.name.startswith("投诉举报多")))
    assert set(db.session.scalars(services.due_subject_ids(None, date(2025, 9, 1), [rule.id]))) == {year["t3"].id}
    assert "行业：危险化学品、工贸" in rule.population_label
