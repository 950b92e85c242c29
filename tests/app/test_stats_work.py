"""The county statistics form counts joint work apart (seeds 004 and 002), on a hand-made year whose answer is known.

2025, three departments (yjj 1, scj 2, xfj 3), enterprises S1…S6:
  J1  joint (yjj + scj)            S1: yjj 1 problem item, 行政指导, questions answered | scj no problem
                                   S2: yjj alone (scj not reached), no problem
  J2  special, joint (xfj + yjj)   S3: xfj 1 problem item, 立案调查 | yjj no problem
  N1  internal (xfj)               S1: 1 problem item, 列入经营异常名录;  S4: no problem, questions answered;
                                   S6: a draft (not handed in)
  N2  internal (yjj)               S2: 2 problem items, 行政指导
  P   special (xfj alone)          S5: no problem
  N0  internal (xfj), in 2024      S6: no problem (another year)
Inspectors: yjj I1…I6, scj I7 I8, xfj F1…F4, seated as written in `year` below.
"""
from __future__ import annotations

from datetime import date, datetime

import pytest
from python_calamine import CalamineWorkbook

from coordinator.campaigns.models import (
    Campaign,
    CampaignDepartment,
    CampaignItem,
    CampaignSubject,
    Draw,
    TeamMember,
)
from coordinator.directories.models import Inspector, Subject
from coordinator.extensions import db
from coordinator.items.models import Item
from coordinator.results.models import DepartmentResult, InspectionRecord, ItemResult
from coordinator.states import CampaignKind, CampaignStatus, DrawKind, RecordStatus
from coordinator.stats import services
from coordinator.stats.xlsx import write_form
from tests.app.county import credit_code
from tests.conftest import login

PROBLEM, FINE = "发现问题已责令改正", "未发现问题"
KEYS = [f.key for f in services.FIGURES]


def _row(enterprises, inspectors, problem_items=0, problem_enterprises=0, guidance=0, abnormal=0, case=0,
         questions=0) -> list[int]:
    return [enterprises, inspectors, problem_items, problem_enterprises, guidance, abnormal, case, questions]


class Year:
    def __init__(self, departments):
        self.d = departments
        self.items = {}
        self.inspectors = {}

    def item(self, code, n):
        if (code, n) not in self.items:
            item = Item(department_id=self.d[code].id, code=f"{code}-{n}", name=f"{code}检查事项{n}")
            db.session.add(item)
            db.session.flush()
            self.items[code, n] = item
        return self.items[code, n]

    def inspector(self, name, code):
        if name not in self.inspectors:
            person = Inspector(department_id=self.d[code].id, name=name, cert_no=f"证{name}")
            db.session.add(person)
            db.session.flush()
            self.inspectors[name] = person
        return self.inspectors[name]

    def campaign(self, name, kind, codes, day):
        campaign = Campaign(name=name, kind=kind, lead_department_id=self.d[codes[0]].id, period_start=day,
                            period_end=day, visit_start=day, visit_end=day, items_deadline=day,
                            status=CampaignStatus.DISPATCHED)
        campaign.departments.extend(CampaignDepartment(department_id=self.d[c].id, is_lead=n == 0)
                                    for n, c in enumerate(codes))
        db.session.add(campaign)
        db.session.flush()
        draw = Draw(campaign_id=campaign.id, kind=DrawKind.SUBJECTS, problem="{}", locked_sha256="0" * 64)
        db.session.add(draw)
        db.session.flush()
        campaign.draw = draw
        campaign.items = {}
        for cd in campaign.departments:
            code = next(c for c in codes if self.d[c].id == cd.department_id)
            campaign.items[code] = [CampaignItem(campaign_department_id=cd.id, item_id=self.item(code, n).id,
                                                 version=1, data={}) for n in range(2)]
            db.session.add_all(campaign.items[code])
            db.session.flush()
        return campaign

    def visit(self, campaign, subject, day, parts: dict, team: dict):
        """parts: code → (item results, follow-ups, questions, handed in); team: code → inspector names."""
        cs = CampaignSubject(campaign_id=campaign.id, subject_id=subject.id, draw_id=campaign.draw.id,
                             stratum="全部", probability=1.0, visit_date=day)
        db.session.add(cs)
        db.session.flush()
        for code, names in team.items():
            for n, name in enumerate(names):
                db.session.add(TeamMember(campaign_subject_id=cs.id, inspector_id=self.inspector(name, code).id,
                                          department_id=self.d[code].id, draw_id=campaign.draw.id,
                                          is_leader=n == 0 and code == next(iter(team))))
        record = InspectionRecord(campaign_subject_id=cs.id, inspected_on=day, due_on=day,
                                  status=RecordStatus.PUBLISHED)
        db.session.add(record)
        db.session.flush()
        for code, (results, follow_ups, questions, handed_in) in parts.items():
            part = DepartmentResult(record_id=record.id, department_id=self.d[code].id, follow_ups=follow_ups,
                                    questions_answered=questions,
                                    submitted_at=datetime(2025, 12, 1) if handed_in else None)
            db.session.add(part)
            db.session.flush()
            for result, item in zip(results, campaign.items[code]):
                db.session.add(ItemResult(department_result_id=part.id, campaign_item_id=item.id,
                                          result=result, problems=int(result != FINE)))
        db.session.flush()


NONE = ["无需后续处置"]


@pytest.fixture
def year(departments):
    y = Year(departments)
    s = {n: Subject(credit_code=credit_code(n), name=f"S{n}", category="一般单位") for n in range(1, 7)}
    db.session.add_all(s.values())
    db.session.flush()
    day = date(2025, 5, 10)
    j1 = y.campaign("J1联合抽查", CampaignKind.JOINT, ["yjj", "scj"], day)
    y.visit(j1, s[1], day, {"yjj": ([PROBLEM], ["行政指导"], True, True), "scj": ([FINE], NONE, False, True)},
            {"yjj": ["I1", "I2"], "scj": ["I7", "I8"]})
    y.visit(j1, s[2], day, {"yjj": ([FINE], NONE, False, True)}, {"yjj": ["I1", "I5"]})
    j2 = y.campaign("J2联合专项检查", CampaignKind.SPECIAL, ["xfj", "yjj"], day)
    y.visit(j2, s[3], day, {"xfj": ([PROBLEM], ["立案调查"], False, True), "yjj": ([FINE], NONE, False, True)},
            {"xfj": ["F1", "F2"], "yjj": ["I2", "I6"]})
    n1 = y.campaign("N1消防内部抽查", CampaignKind.INTERNAL, ["xfj"], day)
    y.visit(n1, s[1], date(2025, 8, 1), {"xfj": ([PROBLEM], ["列入经营异常名录"], False, True)}, {"xfj": ["F1", "F3"]})
    y.visit(n1, s[4], date(2025, 8, 2), {"xfj": ([FINE], NONE, True, True)}, {"xfj": ["F2", "F3"]})
    y.visit(n1, s[6], date(2025, 8, 3), {"xfj": ([PROBLEM], ["立案调查"], True, False)}, {"xfj": ["F4", "F3"]})
    n2 = y.campaign("N2应急内部抽查", CampaignKind.INTERNAL, ["yjj"], day)
    y.visit(n2, s[2], date(2025, 9, 1), {"yjj": ([PROBLEM, PROBLEM], ["行政指导"], False, True)}, {"yjj": ["I1", "I2"]})
    p = y.campaign("P消防专项检查", CampaignKind.SPECIAL, ["xfj"], day)
    y.visit(p, s[5], date(2025, 10, 1), {"xfj": ([FINE], NONE, False, True)}, {"xfj": ["F4", "F1"]})
    n0 = y.campaign("N0上年内部抽查", CampaignKind.INTERNAL, ["xfj"], date(2024, 6, 1))
    y.visit(n0, s[6], date(2024, 6, 1), {"xfj": ([PROBLEM], ["行政指导"], True, True)}, {"xfj": ["F4", "F2"]})
    db.session.commit()
    return y


JOINT_ROWS = {"应急管理局": _row(3, 4, 1, 1, guidance=1, questions=1),
              "市场监督管理局": _row(1, 2),
              "消防救援大队": _row(1, 2, 1, 1, case=1)}
JOINT_TOTAL = _row(3, 8, 2, 2, guidance=1, case=1, questions=1)
INTERNAL_ROWS = {"应急管理局": _row(1, 2, 2, 1, guidance=1), "消防救援大队": _row(2, 3, 1, 1, abnormal=1, questions=1)}
INTERNAL_TOTAL = _row(3, 5, 3, 2, guidance=1, abnormal=1, questions=1)
SPECIAL_ROWS = {"消防救援大队": _row(1, 2)}
ALL_TOTAL = _row(5, 10, 5, 3, guidance=2, abnormal=1, case=1, questions=2)


def _values(rows):
    return {row.department: row.values() for row in rows}


def test_the_form_counts_joint_work_and_shows_single_department_work_apart(year):
    form = services.county_form(services.year_scope(2025))
    assert _values(form.rows) == JOINT_ROWS and list(_values(form.rows)) == list(JOINT_ROWS)
    assert form.total.values() == JOINT_TOTAL
    assert [part.work for part in form.apart] == ["internal", "special"]
    internal, special = form.apart
    assert _values(internal.rows) == INTERNAL_ROWS and internal.total.values() == INTERNAL_TOTAL
    assert _values(special.rows) == SPECIAL_ROWS and special.total.values() == _row(1, 2)
    assert form.all_total.values() == ALL_TOTAL
    shares = form.shares
    assert (shares.joint_campaigns, shares.campaigns, shares.campaign_rate) == (2, 5, 40.0)
    assert (shares.joint_enterprises, shares.enterprises, shares.enterprise_rate) == (3, 5, 60.0)
    # the dashboard counts all work, and shows seed 002's shares as the form does
    d = services.dashboard(2025)
    assert d["enterprises"] == 5 and (d["joint_campaign_rate"], d["joint_enterprise_rate"]) == (40.0, 60.0)
    assert (d["joint_campaigns"], d["single_campaigns"], d["special_campaigns"]) == (2, 3, 1)


def test_a_campaigns_form_counts_that_campaign_where_its_work_belongs(year):
    n1 = services.county_form(services.parse_scope(str(_campaign("N1消防内部抽查").id), None))
    assert n1.rows == [] and n1.total.values() == _row(0, 0) and n1.shares is None
    assert [(p.work, _values(p.rows)) for p in n1.apart] == [
        ("internal", {"消防救援大队": _row(2, 3, 1, 1, abnormal=1, questions=1)})]
    j2 = services.county_form(services.parse_scope(str(_campaign("J2联合专项检查").id), None))
    assert _values(j2.rows) == {"应急管理局": _row(1, 2), "消防救援大队": _row(1, 2, 1, 1, case=1)}
    assert j2.apart == []


def _campaign(name):
    return db.session.query(Campaign).filter_by(name=name).one()


def _numbers(row):
    return [int(v) for v in row[1:9]]


def test_the_workbook_and_the_command_say_the_same_cell_by_cell(year, tmp_path, runner):
    path = tmp_path / "form.xlsx"
    result = runner.invoke(args=["stats-form", "--year", "2025", str(path)])
    assert result.exit_code == 0, result.output
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    labels = [row[0] for row in rows]
    assert labels[5:9] == ["应急管理局", "市场监督管理局", "消防救援大队", "合计"]
    assert {labels[n]: _numbers(rows[n]) for n in (5, 6, 7)} == JOINT_ROWS
    assert _numbers(rows[8]) == JOINT_TOTAL
    assert labels[9].startswith("说明：本表只统计部门联合抽查")
    apart = labels.index(services.APART_TITLE)
    assert labels[apart + 1] == "报表单位" and rows[apart + 2][3] == "发现问题事项(项)"
    assert labels[apart + 3:apart + 11] == ["内部随机抽查", "应急管理局", "消防救援大队", "小计", "专项检查",
                                            "消防救援大队", "小计", "全部随机抽查合计"]
    assert _numbers(rows[apart + 4]) == INTERNAL_ROWS["应急管理局"]
    assert _numbers(rows[apart + 5]) == INTERNAL_ROWS["消防救援大队"]
    assert _numbers(rows[apart + 6]) == INTERNAL_TOTAL
    # the command's summary line names the single-department work the workbook holds below the joint table
    form = services.county_form(services.parse_scope(None, "2025"))
    assert form.all_total.figures["enterprises"] > form.total.figures["enterprises"]
    assert (f"部门联合抽查{len(form.rows)}个部门、抽查企业{form.total.figures['enterprises']}户；"
            f"全部随机抽查（含单部门）抽查企业{form.all_total.figures['enterprises']}户") in result.output
    alone = _campaign("P消防专项检查")  # a department's own inspection: its form has no joint table, only its part
    result = runner.invoke(args=["stats-form", "--campaign", str(alone.id), str(tmp_path / "alone.xlsx")])
    assert result.exit_code == 0 and "部门联合抽查0个部门" in result.output, result.output
    assert "抽查企业0户）" not in result.output
    assert _numbers(rows[apart + 8]) == SPECIAL_ROWS["消防救援大队"] == _numbers(rows[apart + 9])
    assert _numbers(rows[apart + 10]) == ALL_TOTAL
    shares = labels.index(services.SHARES_TITLE)
    assert rows[shares + 1][:5] == ["项目", "联合抽查", "全部随机抽查", "占比", "目标"]
    assert [(r[0], int(r[1]), int(r[2]), r[3], r[4]) for r in rows[shares + 2:shares + 4]] == [
        ("联合抽查次数占比（次）", 2, 5, "40%", "100%"), ("联合抽查户数占比（户）", 3, 5, "60%", "100%")]
    # the download of the page is the same workbook
    again = tmp_path / "again.xlsx"
    write_form(str(again), services.county_form(services.year_scope(2025)), office="x", filled_on=date(2026, 1, 1))
    other = CalamineWorkbook.from_path(str(again)).get_sheet_by_index(0).to_python()
    assert other[3:] == rows[3:]


def test_the_page_shows_the_three_parts(client, year, make_user):
    make_user("admin", "scj")
    login(client, "admin_scj")
    page = client.get("/stats/?year=2025").get_data(as_text=True)
    joint = page[page.index('id="joint-form"'):page.index('id="apart-form"')]
    apart = page[page.index('id="apart-form"'):page.index('id="shares"')]
    shares = page[page.index('id="shares"'):]
    cells = "".join(f'<td class="num">{v}</td>' for v in JOINT_ROWS["市场监督管理局"])
    assert f"<td>市场监督管理局</td>{cells}" in joint
    assert "".join(f'<td class="num">{v}</td>' for v in JOINT_TOTAL) in joint
    assert "内部随机抽查" in apart and "专项检查" in apart and "全部随机抽查合计" in apart
    assert "".join(f'<td class="num">{v}</td>' for v in INTERNAL_TOTAL) in apart
    assert "".join(f'<td class="num">{v}</td>' for v in ALL_TOTAL) in apart
    assert '<td class="num">2</td><td class="num">5</td><td class="num">40%</td>' in shares
    assert '<td class="num">3</td><td class="num">5</td><td class="num">60%</td>' in shares
    download = client.get("/stats/form.xlsx?year=2025")
    assert download.status_code == 200
