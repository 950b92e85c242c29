"""Data exchange: the publicity export, the risk-class, registration-status and personnel imports, the freshness
of each source, and the read-only API for other government systems (issue 16)."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from coordinator.audit.models import AuditEntry
from coordinator.campaigns import services as campaigns
from coordinator.campaigns.models import CampaignSubject
from coordinator.directories.models import Inspector, Subject, SubjectStatusChange
from coordinator.excel.importing import run_import
from coordinator.excel.reader import FileRefused
from coordinator.exchange import services
from coordinator.exchange.importers import PersonnelImporter, RegistrationImporter, RiskClassImporter
from coordinator.exchange.models import (
    InspectorCertificate,
    MissingSubject,
    PublicityExport,
    RegistrationChange,
    ReplacementFlag,
    RiskRating,
    SourceRefresh,
)
from coordinator.extensions import db
from coordinator.results import services as results
from coordinator.results.models import InspectionRecord
from coordinator.states import CampaignKind, SubjectStatus
from coordinator.timeutil import now, today
from tests.app.county import (
    CERTIFIED_UNTIL,
    build_county,
    credit_code,
    dispatched_county_campaign,
    drawn_campaign,
    report_and_publish,
)
from tests.conftest import login
from tests.xlsx import write_xlsx


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# ---- a small county with one dispatched campaign -----------------------------------------------------------


@pytest.fixture
def county(ctx):
    return build_county()


@pytest.fixture
def dispatched(county):
    return dispatched_county_campaign(county)


def hand_in(record: InspectionRecord, users: dict, result: str = "未发现问题") -> None:
    """Every department of the record enters `result` for each of its items, the lead publishes."""
    for department_result in record.department_results:
        problems = 1 if result in results.PROBLEM_RESULTS else 0
        entry = results.ResultEntry(
            items=[results.ItemEntry(ci.id, result, problems, "灭火器过期（不应外传）" if problems else "")
                   for ci in results.items_for(department_result)],
            follow_ups=["责令改正"] if problems else ["无需后续处置"],
            rectify_by=date(2024, 7, 1) if problems else None, inspected_on=date(2024, 6, 12))
        user = users["yjj_admin" if department_result.department.code == "yjj" else "scj_admin"]
        results.save_department_result(record, department_result.department_id, entry, user, submit=True)
    report_and_publish(record, users["office"])
    db.session.commit()


def records() -> list[InspectionRecord]:
    return db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).all()


def read_csv(path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, as Chinese Excel expects
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))


# ---- 1. results out ------------------------------------------------------------------------------------


def test_publicity_export_of_a_hand_made_campaign_row_by_row(dispatched, county, runner, tmp_path):
    first, second = records()[:2]
    hand_in(first, county["users"])
    hand_in(second, county["users"], "发现问题已责令改正")
    target = tmp_path / "results.csv"
    outcome = runner.invoke(args=["export-publicity", "--campaign", str(dispatched.id), str(target)])
    assert outcome.exit_code == 0, outcome.output
    assert "共 " in outcome.output and "首次导出" in outcome.output
    rows = read_csv(target)
    assert rows[0] == list(services.PUBLICITY_HEADERS)
    expected = []
    for record in (first, second):
        cs = record.campaign_subject
        for department_result in sorted(record.department_results, key=lambda p: p.department_id):
            items = "；".join(f"{i.campaign_item.data['name']}：{i.result}" for i in department_result.items)
            expected.append([cs.subject.credit_code, cs.subject.name, "河清县" + department_result.department.name,
                             "部门联合双随机抽查" if len(record.department_results) > 1 else "双随机抽查", "2024-06-12",
                             "未发现问题" if record is first else "发现问题已责令改正", items,
                             record.published_at.date().isoformat(), "是"])
    assert sorted(rows[1:]) == sorted(expected)
    assert "灭火器过期" not in target.read_text(encoding="utf-8-sig")  # problem descriptions never leave
    names = {m.inspector.name for r in (first, second) for m in r.campaign_subject.members}
    assert not any(name in target.read_text(encoding="utf-8-sig") for name in names)
    # The same rows as a workbook.
    xlsx = tmp_path / "results.xlsx"
    assert runner.invoke(args=["export-publicity", "--campaign", str(dispatched.id), str(xlsx)]).exit_code == 0
    frame = pd.read_excel(xlsx, engine="calamine", header=None, dtype=str, keep_default_na=False)
    values = frame.to_numpy().tolist()
    assert values[0] == list(services.PUBLICITY_HEADERS)
    assert sorted(r[:8] for r in values[1:]) == sorted(r[:8] for r in expected)
    exports = db.session.scalars(sa.select(PublicityExport).order_by(PublicityExport.id)).all()
    assert [(e.rows, e.new_rows, e.file_format, e.user_name) for e in exports] == [
        (len(expected), len(expected), "csv", "命令行"), (len(expected), 0, "xlsx", "命令行")]


def test_a_second_export_lists_only_what_is_new(dispatched, county, tmp_path):
    first, second, third = records()[:3]
    hand_in(first, county["users"])
    scope = services.parse_scope(str(today().year), None)  # a year is the year of publication
    before = services.export_publicity(scope, "csv")
    db.session.commit()
    assert before.previous is None and {r[-1] for r in before.rows} == {"是"}
    hand_in(second, county["users"])
    hand_in(third, county["users"])
    again = services.export_publicity(scope, "csv", new_only=True)
    services.write_publicity(tmp_path / "new.csv", again)
    db.session.commit()
    new_codes = {r[0] for r in read_csv(tmp_path / "new.csv")[1:]}
    assert new_codes == {second.campaign_subject.subject.credit_code, third.campaign_subject.subject.credit_code}
    assert again.previous.id == before.export.id
    assert again.export.rows == len(before.rows) + len(second.department_results) + len(third.department_results)
    assert again.export.new_rows == len(second.department_results) + len(third.department_results)
    assert "以来新增或变更" in again.summary()
    # Nothing new since: a third export says so.
    last = services.export_publicity(scope, "xlsx", new_only=True)
    assert (last.export.new_rows, last.rows) == (0, [])


def test_a_covert_campaign_is_exported_only_once_its_period_has_ended(dispatched, county):
    hand_in(records()[0], county["users"])
    dispatched.covert, dispatched.period_end = True, today() + timedelta(days=30)
    db.session.commit()
    scope = services.parse_scope(None, dispatched.id)
    assert services.export_publicity(scope, "csv").rows == []
    dispatched.period_end = today() - timedelta(days=1)
    assert len(services.export_publicity(scope, "csv").rows) == len(records()[0].department_results)


@pytest.mark.parametrize("kind, name, expected", [
    (CampaignKind.SPECIAL, "2024年汛期安全检查", "专项"),
    (CampaignKind.JOINT, "2024年专项整治部门联合抽查", "部门联合双随机抽查"),
    (CampaignKind.INTERNAL, "2024年消防专项内部抽查", "双随机抽查"),
])
def test_the_type_comes_from_the_campaign_kind_not_its_name(dispatched, county, kind, name, expected):
    record = records()[0]
    assert len(record.department_results) > 1
    hand_in(record, county["users"])
    dispatched.kind, dispatched.name = kind, name
    db.session.commit()
    rows = services.export_publicity(services.parse_scope(None, dispatched.id), "csv").rows
    assert {row[3] for row in rows} == {expected}


def test_the_export_page_downloads_and_records(client, dispatched, county):
    hand_in(records()[0], county["users"])
    login(client, "office")
    response = client.post("/exchange/publicity", data={"campaign_id": str(dispatched.id), "file_format": "csv"})
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in response.headers["Content-Disposition"]
    page = client.get("/exchange/").get_data(as_text=True)
    assert dispatched.name in page and "导出记录" in page
    refused = client.post("/exchange/publicity", data={"year": "2024", "campaign_id": str(dispatched.id),
                                                       "file_format": "csv"}).get_data(as_text=True)
    assert "二选一" in refused
    assert count(PublicityExport) == 1


def test_export_publicity_refuses_in_one_line(runner, ctx, tmp_path):
    outcome = runner.invoke(args=["export-publicity", str(tmp_path / "x.csv")])
    assert outcome.exit_code == 2 and outcome.stderr.startswith("错误：") and len(outcome.stderr.splitlines()) == 1
    outcome = runner.invoke(args=["export-publicity", "--campaign", "77", str(tmp_path / "x.csv")])
    assert outcome.exit_code == 2 and "联合抽查 77 不存在" in outcome.stderr
    assert not (tmp_path / "x.csv").exists() and count(PublicityExport) == 0


# ---- 2. risk classes in --------------------------------------------------------------------------------

RISK_HEADER = ["统一社会信用代码", "企业名称", "信用风险分类", "分类日期", "来源"]


def test_risk_classes_bad_rows_unknown_codes_history_and_idempotence(county, tmp_path):
    unknown = credit_code(999)
    path = write_xlsx(tmp_path / "risk.xlsx", [
        ["河清县市场监管局企业信用风险分类结果（2024年第二季度）"],
        RISK_HEADER,
        [credit_code(1), "河清县测试01有限公司", "高风险", "2024-06-30", "县市场监管局"],
        [credit_code(2), "", "A类", "2024/06/30", ""],
        [credit_code(3), "", "E", "2024-06-30", ""],
        [credit_code(4), "", "C", "明天", ""],
        [unknown, "名录外的公司", "B", "2024-06-30", ""],
        ["123", "", "B", "2024-06-30", ""],
        [credit_code(1), "", "A", "2024-06-30", ""],
    ])
    preview = run_import(RiskClassImporter(), path, dry_run=True)
    reasons = {r.row: r.reason for r in preview.refused}
    assert sorted(reasons) == [5, 6, 7, 8, 9]
    assert "信用风险分类“E”无效" in reasons[5]
    assert "分类日期“明天”不是有效日期" in reasons[6]
    assert "名录库中没有该企业" in reasons[7] and unknown in reasons[7]
    assert "统一社会信用代码应为18位" in reasons[8]
    assert "与第3行重复" in reasons[9]
    assert any("1 个统一社会信用代码在名录库中不存在" in n for n in preview.notes)
    assert count(RiskRating) == 0 and count(MissingSubject) == 0  # a preview writes nothing

    report = run_import(RiskClassImporter(), path, dry_run=False)
    assert (report.updated, len(report.refused)) == (2, 5)
    first = db.session.scalar(sa.select(Subject).where(Subject.credit_code == credit_code(1)))
    assert first.risk_class == "D"  # 高风险
    rating = db.session.scalar(sa.select(RiskRating).where(RiskRating.subject_id == first.id))
    assert (rating.old_class, rating.new_class, rating.rated_on, rating.source) == ("B", "D", date(2024, 6, 30),
                                                                                  "县市场监管局")
    assert db.session.scalar(sa.select(RiskRating.source).where(RiskRating.subject_id != first.id)) \
        == "市场监管部门信用风险分类"
    assert db.session.scalars(sa.select(MissingSubject.credit_code)).all() == [unknown]
    logged = db.session.scalars(sa.select(AuditEntry.changes).where(AuditEntry.entity == "subject",
                                                                   AuditEntry.entity_id == str(first.id))).all()
    assert any('"risk_class":"D"' in c for c in logged)  # audited row by row

    again = run_import(RiskClassImporter(), path, dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert count(RiskRating) == 2 and count(MissingSubject) == 1

    # A later list: the history keeps both; an older one is refused rather than overwrite a newer class.
    later = write_xlsx(tmp_path / "later.xlsx", [RISK_HEADER, [credit_code(1), "", "一般风险", "2024-09-30", ""],
                                                 [credit_code(2), "", "D", "2023-12-31", ""]])
    report = run_import(RiskClassImporter(), later, dry_run=False)
    assert report.updated == 1 and "早于名录中已有的分类" in report.refused[0].reason
    history = db.session.scalars(sa.select(RiskRating.new_class).where(RiskRating.subject_id == first.id)
                                 .order_by(RiskRating.id)).all()
    assert history == ["D", "B"]
    assert [r.new_class for r in first.risk_ratings] == ["B", "D"]  # the enterprise's page lists newest first


def test_an_unusable_list_is_refused_whole_in_one_line(county, tmp_path):
    path = write_xlsx(tmp_path / "wrong.xlsx", [["统一社会信用代码", "企业名称"], [credit_code(1), "x"]])
    with pytest.raises(FileRefused, match="缺少必填列：信用风险分类、分类日期"):
        run_import(RiskClassImporter(), path, dry_run=False)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    with pytest.raises(FileRefused):
        run_import(RegistrationImporter(), broken, dry_run=False)
    assert count(RiskRating) == 0 and count(SourceRefresh) == 0


def test_the_dashboard_says_how_current_the_classes_are(client, county, tmp_path):
    login(client, "office")
    assert "信用风险分类尚未导入" in client.get("/stats/dashboard").get_data(as_text=True)
    path = write_xlsx(tmp_path / "risk.xlsx", [RISK_HEADER, [credit_code(1), "", "A", today().isoformat(), ""]])
    run_import(RiskClassImporter(), path, dry_run=False)
    page = client.get("/stats/dashboard").get_data(as_text=True)
    assert f"分类数据 {today():%Y-%m-%d} 导入（0 天前）" in page
    assert "一年内有分类的 2.5%" in page  # 1 of the county's 40 active enterprises


# ---- 3. registration status in -------------------------------------------------------------------------

REGISTRATION_HEADER = ["统一社会信用代码", "企业名称", "变更事项", "变更日期", "变更后内容", "登记机关"]


def test_registration_changes_bad_rows_history_and_idempotence(client, county, tmp_path):
    path = write_xlsx(tmp_path / "reg.xlsx", [
        REGISTRATION_HEADER,
        [credit_code(1), "", "注销", "2024-05-06", "", "河清县市场监管局"],
        [credit_code(2), "", "吊销营业执照", "2024-05-07", "", ""],
        [credit_code(3), "", "名称变更", "2024-05-08", "河清县新名字有限公司", ""],
        [credit_code(4), "", "住所变更", "2024-05-09", "城关镇新街8号", ""],
        [credit_code(5), "", "破产", "2024-05-09", "", ""],
        [credit_code(6), "", "名称变更", "2024-05-09", "", ""],
        [credit_code(7), "", "恢复营业", "2024-05-09", "", ""],  # already active: nothing to do
        [credit_code(1), "", "停业", "2024-05-10", "", ""],
    ])
    report = run_import(RegistrationImporter(), path, dry_run=False)
    reasons = {r.row: r.reason for r in report.refused}
    assert sorted(reasons) == [6, 7, 9]
    assert "变更事项“破产”无法识别" in reasons[6]
    assert "名称变更须填写变更后内容" in reasons[7]
    assert "与第2行重复" in reasons[9] and "登记状态" in reasons[9]
    assert (report.updated, report.unchanged) == (4, 1)
    subjects = {s.credit_code: s for s in db.session.scalars(sa.select(Subject))}
    assert subjects[credit_code(1)].status == subjects[credit_code(2)].status == SubjectStatus.DEREGISTERED
    assert subjects[credit_code(3)].name == "河清县新名字有限公司"
    assert subjects[credit_code(4)].address == "城关镇新街8号"
    history = db.session.scalar(sa.select(SubjectStatusChange).where(
        SubjectStatusChange.subject_id == subjects[credit_code(2)].id))
    assert (history.old_status, history.new_status, history.changed_on) == (
        SubjectStatus.ACTIVE, SubjectStatus.DEREGISTERED, date(2024, 5, 7))
    assert "吊销" in history.reason
    kinds = db.session.scalars(sa.select(RegistrationChange.kind).order_by(RegistrationChange.id)).all()
    assert kinds == ["注销", "吊销", "名称变更", "住所变更"]

    login(client, "yjj_officer")  # the enterprise's page shows where its state came from
    page = client.get(f"/subjects/{subjects[credit_code(3)].id}").get_data(as_text=True)
    assert "登记变更记录" in page and "名称变更" in page and "河清县测试03有限公司" in page

    again = run_import(RegistrationImporter(), path, dry_run=False)
    assert (again.updated, again.unchanged) == (0, 5)
    assert count(RegistrationChange) == 4 and count(SubjectStatusChange) == 2

    # 恢复营业 brings an enterprise back into the pool, with its history.
    back = write_xlsx(tmp_path / "back.xlsx", [REGISTRATION_HEADER, [credit_code(1), "", "恢复营业", "2024-06-01", "", ""]])
    assert run_import(RegistrationImporter(), back, dry_run=False).updated == 1
    db.session.refresh(subjects[credit_code(1)])
    assert subjects[credit_code(1)].status == SubjectStatus.ACTIVE


def test_a_status_change_flags_a_drawn_enterprise_for_replacement(client, county, tmp_path):
    campaign = drawn_campaign(county)
    drawn = db.session.scalars(sa.select(CampaignSubject).where(CampaignSubject.campaign_id == campaign.id)
                               .order_by(CampaignSubject.id)).all()
    not_drawn = db.session.scalar(sa.select(Subject).where(Subject.id.not_in([cs.subject_id for cs in drawn]))
                                  .order_by(Subject.id))
    target = drawn[0]
    path = write_xlsx(tmp_path / "reg.xlsx", [
        REGISTRATION_HEADER,
        [target.subject.credit_code, "", "迁出", "2024-06-01", "", ""],
        [not_drawn.credit_code, "", "注销", "2024-06-01", "", ""],
        [drawn[1].subject.credit_code, "", "住所变更", "2024-06-01", "城关镇另一条路1号", ""],  # no flag
    ])
    preview = run_import(RegistrationImporter(), path, dry_run=True)
    assert any("1 户已在进行中的联合抽查中被抽中" in n for n in preview.notes)
    run_import(RegistrationImporter(), path, dry_run=False)
    flags = services.open_flags()
    assert [(f.campaign_subject_id, f.change.kind) for f in flags] == [(target.id, "迁出")]
    login(client, "office")
    workbench = client.get("/").get_data(as_text=True)
    assert "1 户已抽中的检查对象登记状态已变更，待替换抽取" in workbench
    overview = client.get("/exchange/").get_data(as_text=True)
    assert target.subject.name in overview and "到抽查页面替换" in overview
    # Replaced by a recorded draw, the flag is done.
    campaigns.replacement_draw(campaign, target, "登记状态：迁出", county["users"]["office"])
    db.session.commit()
    assert services.open_flags() == [] and count(ReplacementFlag) == 1


# ---- 4. enforcement personnel in -----------------------------------------------------------------------

PERSONNEL_HEADER = ["执法证号", "姓名", "执法单位", "证件类型", "发证日期", "有效期至", "执法区域", "执法类别"]


def test_personnel_match_by_certificate_inside_the_department_never_across(client, county, tmp_path):
    yjj, scj = county["yjj"], county["scj"]
    db.session.add(Inspector(department=scj, name="王五"))  # typed by hand, no certificate yet
    db.session.commit()
    path = write_xlsx(tmp_path / "personnel.xlsx", [
        ["河清县司法局行政执法人员信息"],
        PERSONNEL_HEADER,
        ["139901000", "yjj执法员0", "河清县应急管理局", "行政执法证", "2021-01-01", "2031-12-31", "河清县", "安全生产"],
        ["139902000", "yjj执法员0", "应急管理局", "行政执法证", "", "2031-12-31", "", ""],  # scj's number, yjj's row
        ["NEW0001", "赵六", "应急管理局", "行政执法证", "", "2027-06-30", "河清县", "应急管理"],
        ["SC0005", "王五", "市场监督管理局", "行政执法证", "", "2028-01-31", "", "市场监管"],
        ["139901001", "别人", "应急管理局", "", "", "2030-01-01", "", ""],
        ["X1", "钱七", "县教育局", "", "", "2030-01-01", "", ""],
        ["X2", "孙八", "应急管理局", "", "", "", "", ""],
    ])
    report = run_import(PersonnelImporter(), path, dry_run=False)
    reasons = {r.row: r.reason for r in report.refused}
    assert sorted(reasons) == [4, 7, 8, 9]
    assert "已登记在“市场监督管理局”" in reasons[4] and "不跨部门匹配" in reasons[4]
    assert "与本行姓名“别人”不一致" in reasons[7]
    assert "执法单位“县教育局”不是本系统中的部门" in reasons[8]
    assert "有效期至为空" in reasons[9]
    assert (report.created, report.updated) == (1, 2)
    by_cert = {i.cert_no: i for i in db.session.scalars(sa.select(Inspector))}
    assert by_cert["139901000"].cert_expiry == date(2031, 12, 31)
    assert by_cert["139901000"].certificate.category == "安全生产"
    assert by_cert["139902000"].department_id == scj.id and by_cert["139902000"].cert_expiry == CERTIFIED_UNTIL  # kept
    # drawable while its certificate runs, on a day pinned (the suite runs on any day): to 30 June 2027, not after
    new = by_cert["NEW0001"]
    assert new.department_id == yjj.id and new.is_drawable(on=date(2027, 6, 30)) and not new.is_drawable(on=date(2027, 7, 1))
    assert by_cert["SC0005"].name == "王五" and by_cert["SC0005"].department_id == scj.id  # the hand-typed one
    assert count(Inspector) == 14 + 2

    again = run_import(PersonnelImporter(), path, dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert count(Inspector) == 16 and count(InspectorCertificate) == 3
    login(client, "scj_officer")
    page = client.get(f"/inspectors/{by_cert['SC0005'].id}").get_data(as_text=True)
    assert "行政执法证" in page and "市场监管" in page


def test_a_department_admin_imports_only_its_own_people(county, tmp_path):
    path = write_xlsx(tmp_path / "personnel.xlsx", [
        PERSONNEL_HEADER, ["139902000", "scj执法员0", "市场监督管理局", "", "", "2031-12-31", "", ""]])
    report = run_import(PersonnelImporter(only_department_id=county["yjj"].id), path, dry_run=False)
    assert "只能导入本单位的执法人员" in report.refused[0].reason and report.updated == 0


# ---- 5. freshness --------------------------------------------------------------------------------------


def test_each_source_keeps_its_freshness_and_the_workbench_reminds(client, county, tmp_path, app):
    login(client, "office")
    workbench = client.get("/").get_data(as_text=True)
    assert "检查对象名录库尚未导入过" in workbench and "登记状态尚未导入过" in workbench
    assert 'href="/exchange/"' in workbench  # the office finds the page without knowing its address
    path = write_xlsx(tmp_path / "reg.xlsx", [REGISTRATION_HEADER, [credit_code(1), "", "停业", "2024-05-06", "", ""]])
    client.get("/import/registration")
    run_import(RegistrationImporter(), path, dry_run=False)
    run_import(RegistrationImporter(), path, dry_run=False)
    refreshes = db.session.scalars(sa.select(SourceRefresh).order_by(SourceRefresh.id)).all()
    assert [(r.source, r.total, r.changed, r.filename) for r in refreshes] == [
        ("registration", 1, 1, "reg.xlsx"), ("registration", 1, 0, "reg.xlsx")]
    assert "登记状态尚未导入过" not in client.get("/").get_data(as_text=True)
    refreshes[-1].at = now() - timedelta(days=31)  # older than its 30 days
    db.session.commit()
    assert "登记状态已 31 天未更新" in client.get("/").get_data(as_text=True)
    page = client.get("/exchange/").get_data(as_text=True)
    assert "31 天未更新" in page and "reg.xlsx" in page
    app.config["EXCHANGE_MAX_AGE_DAYS"] = {"registration": 60}  # EXCHANGE_MAX_AGE_DAYS=registration=60
    try:
        assert "登记状态已" not in client.get("/").get_data(as_text=True)
    finally:
        app.config["EXCHANGE_MAX_AGE_DAYS"] = {}


def test_the_ages_come_from_the_environment():
    from coordinator.config import parse_max_ages

    assert parse_max_ages(" directory=400, registration=7 ") == {"directory": 400, "registration": 7}
    with pytest.raises(ValueError, match="“risk=soon”无效"):
        parse_max_ages("risk=soon")


def test_the_directory_import_renews_its_source(county, tmp_path):
    from coordinator.directories.importers import SubjectImporter

    path = write_xlsx(tmp_path / "dir.xlsx", [["统一社会信用代码", "单位名称", "单位类别"],
                                              [credit_code(1), "河清县测试01有限公司", "一般单位"]])
    run_import(SubjectImporter(), path, dry_run=False)
    assert {f.source: f.stale for f in services.freshness()}["directory"] is False


# ---- 6. the API ---------------------------------------------------------------------------------------


@pytest.fixture
def published(dispatched, county):
    for record in records()[:3]:
        hand_in(record, county["users"], "发现问题已责令改正")
    return dispatched


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def api_entries() -> list[dict]:
    rows = db.session.scalars(sa.select(AuditEntry.changes).where(AuditEntry.action == "api")
                              .order_by(AuditEntry.seq)).all()
    return [json.loads(r)["after"] for r in rows]


def test_the_api_refuses_without_a_token_and_with_a_revoked_one(client, published, county):
    office = county["users"]["office"]
    api, token = services.issue_client("县数据共享平台", office)
    db.session.commit()
    login(client, "office")  # a session counts for nothing: the token decides
    assert client.get("/api/v1/results").status_code == 401
    assert client.get("/api/v1/results", headers=bearer("wrong")).status_code == 401
    assert client.get("/api/v1/results", headers=bearer(token)).status_code == 200
    assert client.post(f"/exchange/api-clients/{api.id}/revoke").status_code in (302, 303)
    refused = client.get("/api/v1/results", headers=bearer(token))
    assert refused.status_code == 401 and refused.json["error"] == "访问令牌已被吊销"
    logged = api_entries()
    assert [(e["status"], e["client"]) for e in logged] == [(401, None), (401, None), (200, "县数据共享平台"),
                                                            (401, "县数据共享平台")]
    assert logged[2]["rows"] == 3 and logged[0]["path"] == "/api/v1/results"


def test_the_api_never_returns_an_inspector_contact_or_problem(client, published, county):
    _api, token = services.issue_client("省级平台", None)
    db.session.commit()
    inspectors = db.session.scalars(sa.select(Inspector)).all()
    secrets = [i.name for i in inspectors] + [i.mobile for i in inspectors if i.mobile] + [
        i.cert_no for i in inspectors] + ["灭火器过期", "yjj_admin", "scj_admin"]
    bodies = ""
    for url in ("/api/v1/results", "/api/v1/items", "/api/v1/campaigns"):
        response = client.get(url, headers=bearer(token))
        assert response.status_code == 200, url
        bodies += response.get_data(as_text=True)
    assert not [s for s in secrets if s in bodies]
    data = client.get("/api/v1/results", headers=bearer(token)).json["data"]
    assert {d["departments"][0]["result"] for d in data} == {"发现问题已责令改正"}
    assert "河清县应急管理局" in {p["authority"] for d in data for p in d["departments"]}


def test_the_api_pages_and_lists_what_changed_since(client, published, county):
    _api, token = services.issue_client("县数据共享平台", None)
    db.session.commit()
    page = client.get("/api/v1/results?per_page=2", headers=bearer(token)).json
    assert (page["total"], page["pages"], len(page["data"]), page["prev"]) == (3, 2, 2, None)
    rest = client.get(page["next"], headers=bearer(token)).json
    assert len(rest["data"]) == 1 and {d["id"] for d in page["data"] + rest["data"]} == {r.id for r in records()[:3]}
    assert client.get("/api/v1/results?per_page=500", headers=bearer(token)).status_code == 400
    newest = max(r.published_at for r in records()[:3])
    later = (newest + timedelta(seconds=1)).isoformat()
    assert client.get(f"/api/v1/results?changed_since={later}", headers=bearer(token)).json["total"] == 0
    earlier = (newest - timedelta(days=1)).isoformat()
    assert client.get(f"/api/v1/results?changed_since={earlier}", headers=bearer(token)).json["total"] == 3
    response = client.get("/api/v1/results", headers=bearer(token))
    modified = response.headers["Last-Modified"]
    assert client.get("/api/v1/results", headers={**bearer(token), "If-Modified-Since": modified}).status_code == 304
    assert client.get("/api/v1/results?changed_since=yesterday", headers=bearer(token)).status_code == 400
    campaigns_page = client.get("/api/v1/campaigns", headers=bearer(token)).json
    assert campaigns_page["data"][0]["name"] == published.name
    items = client.get("/api/v1/items?department=yjj", headers=bearer(token)).json
    assert {i["department"] for i in items["data"]} == {"应急管理局"} and items["total"] == 2


def test_the_openapi_document_is_served(client, ctx):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {"/results", "/items", "/campaigns"}
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"


def test_the_office_issues_a_token_shown_once(client, county):
    login(client, "office")
    page = client.post("/exchange/api-clients", data={"name": "县政务数据共享交换平台"}).get_data(as_text=True)
    assert "令牌只显示这一次" in page
    token = page.split('<pre class="token">')[1].split("</pre>")[0]
    assert client.get("/api/v1/items", headers=bearer(token)).status_code == 200
    assert token not in client.get("/exchange/api-clients").get_data(as_text=True)
