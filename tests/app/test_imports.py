"""Excel import: messy files, every refused row with its reason, idempotence, all-or-nothing."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from coordinator.directories import creditcode
from coordinator.directories.importers import (
    ConflictImporter,
    InspectorImporter,
    SubjectImporter,
    export_inspectors,
    export_subjects,
)
from coordinator.directories.models import Conflict, Inspector, Subject, SubjectStatusChange
from coordinator.excel.importing import run_import
from coordinator.excel.reader import FileRefused
from coordinator.extensions import db
from coordinator.items.models import Item
from coordinator.items.services import ItemImporter, export_items
from coordinator.states import SubjectStatus
from tests.xlsx import write_xlsx


def code(n: int) -> str:
    body = f"91139901MA{n:07d}"
    return body + creditcode.check_character(body)


HEADER = ["统一社会信用代码", "企业名称", "住所", "行业", "单位类别", "信用风险分类", "经营状态", "列入黑名单"]


def subject_row(n: int, **changes) -> list:
    row = {"code": code(n), "name": f"河清县测试{n}号有限公司", "address": "城关镇人民路1号", "industry": "零售",
           "category": "一般单位", "risk": "B", "status": "存续", "black": "否"}
    row.update(changes)
    return list(row.values())


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_messy_export_is_read_with_title_aliases_blank_and_note_rows(ctx, tmp_path):
    path = write_xlsx(tmp_path / "messy.xlsx", [
        ["河清县检查对象名录（导出日期：2024-05-20）"],
        None,
        HEADER + ["某个不认识的列"],
        subject_row(1),
        None,
        subject_row(2, name="　河清县　全角空格  有限公司　"),
        ["注：本表由市场监管局提供"],
        subject_row(3, code=code(3).lower()),
    ])
    report = run_import(SubjectImporter(), path, dry_run=False)
    assert report.header_row == 3
    assert (report.total, report.created, len(report.refused), report.skipped) == (3, 3, 0, 1)
    assert report.ignored_headers == ["某个不认识的列"]
    names = db.session.scalars(sa.select(Subject.name).order_by(Subject.id)).all()
    assert names[1] == "河清县 全角空格 有限公司"
    assert db.session.scalar(sa.select(Subject.credit_code).where(Subject.id == 3)) == code(3)


def test_every_bad_row_is_refused_with_its_excel_row_number_and_reason(ctx, tmp_path):
    bad_code = code(2)[:-1] + ("0" if code(2)[-1] != "0" else "1")
    path = write_xlsx(tmp_path / "bad.xlsx", [
        HEADER,
        subject_row(1),
        subject_row(2, code=bad_code),
        subject_row(3, category="重点场所", risk="E"),
        subject_row(4, name=""),
        subject_row(5, status="倒闭"),
        subject_row(6, black="也许"),
        subject_row(1, name="重复的代码"),
    ])
    report = run_import(SubjectImporter(), path, dry_run=True)
    reasons = {r.row: r.reason for r in report.refused}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8]
    assert "校验位错误" in reasons[3]
    assert "单位类别“重点场所”无效" in reasons[4] and "信用风险分类“E”无效" in reasons[4]
    assert "单位名称为空" in reasons[5]
    assert "经营状态“倒闭”无效" in reasons[6]
    assert "列入黑名单应填写“是”或“否”" in reasons[7]
    assert "与第2行重复" in reasons[8]
    assert report.created == 1
    assert count(Subject) == 0  # a dry run writes nothing


def test_reimport_updates_and_never_duplicates(ctx, tmp_path):
    rows = [HEADER, *(subject_row(n) for n in range(1, 6))]
    first = run_import(SubjectImporter(), write_xlsx(tmp_path / "a.xlsx", rows), dry_run=False)
    again = run_import(SubjectImporter(), write_xlsx(tmp_path / "a.xlsx", rows), dry_run=False)
    assert (first.created, again.created, again.updated, again.unchanged) == (5, 0, 0, 5)
    rows[2] = subject_row(2, status="停业", address="新地址")
    changed = run_import(SubjectImporter(), write_xlsx(tmp_path / "b.xlsx", rows), dry_run=False)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 4)
    assert count(Subject) == 5
    moved = db.session.scalar(sa.select(SubjectStatusChange))
    assert (moved.old_status, moved.new_status, moved.reason) == (SubjectStatus.ACTIVE, SubjectStatus.SUSPENDED,
                                                                  "导入名录文件更新")


def test_a_file_that_cannot_be_used_changes_nothing(ctx, tmp_path):
    broken = tmp_path / "list.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 40)  # a workbook cut off after its first bytes
    with pytest.raises(FileRefused, match="无法读取该文件"):
        run_import(SubjectImporter(), broken, dry_run=False)
    missing = write_xlsx(tmp_path / "missing.xlsx", [["企业名称", "地址"], ["甲公司", "某路"]])
    with pytest.raises(FileRefused, match="缺少必填列：统一社会信用代码、单位类别"):
        run_import(SubjectImporter(), missing, dry_run=False)
    assert count(Subject) == 0


def test_a_failure_half_way_through_writing_leaves_nothing(ctx, tmp_path, monkeypatch):
    run_import(SubjectImporter(), write_xlsx(tmp_path / "a.xlsx", [HEADER, subject_row(1)]), dry_run=False)
    original = SubjectImporter.write

    def write_then_fail(self, new, changed):
        original(self, new, changed)
        raise RuntimeError("disk full")

    monkeypatch.setattr(SubjectImporter, "write", write_then_fail)
    path = write_xlsx(tmp_path / "b.xlsx", [HEADER, subject_row(1, status="注销"), *(subject_row(n) for n in range(2, 9))])
    with pytest.raises(RuntimeError):
        run_import(SubjectImporter(), path, dry_run=False)
    assert count(Subject) == 1
    assert db.session.scalar(sa.select(Subject.status)) == SubjectStatus.ACTIVE
    assert count(SubjectStatusChange) == 0


def test_export_round_trips_through_import(ctx, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [HEADER, subject_row(1, name="=HYPERLINK(\"x\")"), subject_row(2)])
    run_import(SubjectImporter(), path, dry_run=False)
    out = tmp_path / "export.xlsx"
    export_subjects(str(out))
    report = run_import(SubjectImporter(), out, dry_run=True)
    assert (report.total, report.unchanged, len(report.refused)) == (2, 2, 0)


# ---- inspectors, items, conflicts ------------------------------------------------------------------

INSPECTOR_HEADER = ["姓名", "性别", "所属部门", "执法证件号", "有效期至", "专长", "片区", "可任组长", "不可用日期", "手机"]


def test_inspectors_import_with_certificates_and_scoping(ctx, tmp_path, departments):
    path = write_xlsx(tmp_path / "people.xlsx", [
        ["执法检查人员名录"],
        INSPECTOR_HEADER,
        ["张伟", "男", "应急管理局", "13260101001", "2030-12-31", "危险化学品、工贸", "城关片区", "是", "2024-06-10",
         "13800000001"],
        ["李娜", "女", "yjj", "13260101002", "2020-01-01", "工贸", "", "否", "", "13800000002"],
        ["王强", "男", "应急管理局", "", "", "", "", "", "", ""],
        ["赵敏", "女", "市场监督管理局", "13260201001", "2030-01-01", "", "", "", "", "12345"],
        ["钱多", "男", "不存在的局", "13260101009", "2030-01-01", "", "", "", "", ""],
        ["孙红", "女", "应急管理局", "13260101003", "", "", "", "", "", ""],
        ["周杰", "男", "应急管理局", "13260101004", "2030-01-01", "", "", "", "下周一", ""],
    ])
    report = run_import(InspectorImporter(only_department_id=departments["yjj"].id), path, dry_run=False)
    reasons = {r.row: r.reason for r in report.refused}
    assert "只能导入本单位的执法人员" in reasons[6] and "应为11位手机号码" in reasons[6]
    assert "所属单位“不存在的局”不存在" in reasons[7]
    assert "没有填写执法证有效期" in reasons[8]
    assert "不可用日期“下周一”不是有效日期" in reasons[9]
    assert report.created == 3
    people = {i.name: i for i in db.session.scalars(sa.select(Inspector))}
    assert people["张伟"].is_drawable() and people["张伟"].tags == ["危险化学品", "工贸"]
    assert people["张伟"].unavailable == ["2024-06-10"] and people["张伟"].can_lead
    assert people["李娜"].certificate_state() == "已过期" and not people["李娜"].is_drawable()
    assert people["王强"].certificate_state() == "无执法证" and not people["王强"].is_drawable()
    again = run_import(InspectorImporter(), path, dry_run=True)
    assert again.unchanged == 3 and again.created == 0
    assert {r.row: r.reason for r in again.refused}[6].startswith("手机号码")  # no department restriction now
    out = tmp_path / "out.xlsx"
    export_inspectors(str(out))
    assert run_import(InspectorImporter(), out, dry_run=True).unchanged == 3


ITEM_HEADER = ["事项编号", "抽查事项名称", "检查依据", "检查主体", "检查对象", "适用行业", "检查内容", "检查方式", "抽查比例",
               "材料清单"]


def test_items_import_keeps_earlier_versions(ctx, tmp_path, departments):
    yjj = departments["yjj"]
    rows = [ITEM_HEADER,
            ["YJJ-001", "危险化学品企业安全检查", "《危险化学品安全管理条例》第六条", "应急管理局", "危化企业", "危险化学品",
             "安全生产条件", "实地核查", "不低于20%", "营业执照、安全生产许可证"],
            ["", "工贸企业安全检查", "《安全生产法》", "应急管理局", "工贸企业", "工贸", "制度落实", "书面检查", "5%", ""]]
    first = run_import(ItemImporter(yjj), write_xlsx(tmp_path / "a.xlsx", rows), dry_run=False)
    assert first.created == 2
    codes = set(db.session.scalars(sa.select(Item.code)))
    assert codes == {"YJJ-001", "YJJ-002"}
    assert run_import(ItemImporter(yjj), write_xlsx(tmp_path / "a.xlsx", rows), dry_run=False).unchanged == 2
    rows[1][6] = "安全生产条件、应急预案"
    changed = run_import(ItemImporter(yjj), write_xlsx(tmp_path / "b.xlsx", rows), dry_run=False)
    assert changed.updated == 1
    item = db.session.scalar(sa.select(Item).where(Item.code == "YJJ-001"))
    assert item.version == 2 and item.content == "安全生产条件、应急预案"
    assert [v.data["content"] for v in item.versions] == ["安全生产条件"]
    assert item.material_list == ["营业执照", "安全生产许可证"]
    out = tmp_path / "items.xlsx"
    export_items(str(out))
    assert run_import(ItemImporter(yjj), out, dry_run=True).unchanged == 2


def test_conflicts_import_checks_both_directories(ctx, tmp_path, departments):
    subject = Subject(credit_code=code(1), name="河清县甲化工有限公司", category="一般单位")
    inspector = Inspector(department_id=departments["yjj"].id, name="张伟", cert_no="13260101001")
    other = Inspector(department_id=departments["scj"].id, name="赵敏", cert_no="13260201001")
    db.session.add_all([subject, inspector, other])
    db.session.commit()
    path = write_xlsx(tmp_path / "c.xlsx", [
        ["执法证号", "姓名", "统一社会信用代码", "单位名称", "回避原因"],
        ["13260101001", "张伟", code(1), "甲化工", "近亲属任职"],
        ["13260101001", "张伟", code(1), "甲化工", "重复"],
        ["99999999999", "", code(1), "", "近亲属"],
        ["13260101001", "李四", code(2), "", ""],
        ["13260201001", "赵敏", code(1), "", "曾在该单位任职"],
    ])
    report = run_import(ConflictImporter(only_department_id=departments["yjj"].id), path, dry_run=False)
    reasons = {r.row: r.reason for r in report.refused}
    assert "与第2行重复" in reasons[3]
    assert "执法证号“99999999999”在执法检查人员名录库中不存在" in reasons[4]
    assert "与执法证号13260101001登记的“张伟”不一致" in reasons[5] and "在检查对象名录库中不存在" in reasons[5]
    assert "回避原因为空" in reasons[5]
    assert "只能登记本单位执法人员的回避关系" in reasons[6]
    assert count(Conflict) == 1


# ---- the command line ------------------------------------------------------------------------------


def test_cli_import_prints_refused_rows_and_exits_0(runner, ctx, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [HEADER, subject_row(1), subject_row(2, category="?")])
    result = runner.invoke(args=["import-subjects", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "共2行数据，新增1条" in result.output and "第3行：单位类别“?”无效" in result.output
    assert "预检，未写入" in result.output
    assert count(Subject) == 0
    result = runner.invoke(args=["import-subjects", str(path)])
    assert result.exit_code == 0 and count(Subject) == 1


def test_cli_import_of_an_unusable_file_exits_2_with_one_line(runner, ctx, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 not a workbook")
    result = runner.invoke(args=["import-subjects", str(path)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "无法读取该文件" in result.output
    result = runner.invoke(args=["import-items", str(path), "--department", "nope"])
    assert result.exit_code == 2 and "部门代码“nope”不存在" in result.output
    result = runner.invoke(args=["import-inspectors", str(tmp_path / "missing.xlsx")])
    assert result.exit_code == 2 and "文件不存在" in result.output


def test_cli_exports_write_workbooks(runner, ctx, tmp_path, departments):
    run_import(SubjectImporter(), write_xlsx(tmp_path / "a.xlsx", [HEADER, subject_row(1)]), dry_run=False)
    for command in ("export-subjects", "export-inspectors", "export-items"):
        out = tmp_path / f"{command}.xlsx"
        result = runner.invoke(args=[command, str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_bytes()[:2] == b"PK"


# ---- the web: preview first, then one transaction ------------------------------------------------------


def test_web_import_previews_then_imports(client, as_role, tmp_path):
    as_role("office")
    path = write_xlsx(tmp_path / "a.xlsx", [HEADER, subject_row(1), subject_row(2, category="?")])
    with path.open("rb") as handle:
        preview = client.post("/import/subjects", data={"file": (handle, "名录.xlsx")},
                              content_type="multipart/form-data")
    page = preview.data.decode()
    assert preview.status_code == 200 and "导入预检" in page and "第3行" in page and "单位类别“?”无效" in page
    assert count(Subject) == 0
    token = page.split('name="token" value="')[1].split('"')[0]
    done = client.post("/import/subjects/confirm", data={"token": token, "filename": "名录.xlsx"})
    assert done.status_code == 200 and "导入结果" in done.data.decode()
    assert count(Subject) == 1
    again = client.post("/import/subjects/confirm", data={"token": token})
    assert "预检文件已过期或已导入" in again.data.decode()
    assert count(Subject) == 1


def test_web_import_refuses_a_non_excel_upload_with_one_message(client, as_role, tmp_path):
    as_role("office")
    path = tmp_path / "a.pdf"
    path.write_text("a,b", encoding="utf-8")
    with path.open("rb") as handle:
        response = client.post("/import/subjects", data={"file": (handle, "a.pdf")}, content_type="multipart/form-data")
    assert "不是 Excel 或 CSV 文件" in response.data.decode() and "数据库未作任何修改" in response.data.decode()
