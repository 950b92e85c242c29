"""The files counties have: CSV in UTF-8 (with or without BOM) and GBK/GB18030, old .xls, text saved as "xls".

Every importer reads them through the one reader, with the same header aliases, title rows, row numbers and
idempotence as .xlsx; an encoding that cannot be told is refused in Chinese and changes nothing.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from coordinator.directories.importers import ConflictImporter, InspectorImporter, SubjectImporter
from coordinator.directories.models import Inspector, Subject
from coordinator.excel.importing import run_import
from coordinator.excel.reader import FileRefused
from coordinator.exchange.importers import PersonnelImporter, RegistrationImporter, RiskClassImporter
from coordinator.extensions import db
from coordinator.items.services import ItemImporter
from tests.app.county import build_county
from tests.app.county import credit_code as county_code
from tests.app.test_imports import HEADER, INSPECTOR_HEADER, ITEM_HEADER, code, count, subject_row
from tests.xlsx import write_csv, write_xls, write_xlsx

ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "gb18030"]

# A messy export: a title, a blank line, aliases (单位名称 → 企业名称, 地址 → 住所), a column nobody knows,
# full-width spaces, a notes row, a lower-case code and three refused rows.
SUBJECT_ROWS = [
    ["河清县检查对象名录（导出日期：2024-05-20）"],
    None,
    ["统一社会信用代码", "单位名称", "地址", "行业", "单位类别", "信用风险分类", "经营状态", "列入黑名单", "备用字段"],
    subject_row(1) + ["x"],
    None,
    subject_row(2, name="　河清县　全角空格  有限公司　"),
    ["注：本表由市场监管局提供"],
    subject_row(3, code=code(3).lower()),
    subject_row(4, category="重点场所", risk="E"),
    subject_row(5, name=""),
    subject_row(1, name="重复的代码"),
]


def outcome(report) -> tuple:
    """Everything a person sees of an import, apart from the file name."""
    return (report.header_row, report.total, report.created, report.updated, report.unchanged, report.skipped,
            [(r.row, r.reason) for r in report.refused], report.ignored_headers)


def _subjects(_departments):
    return SubjectImporter()


def _inspectors(departments):
    return InspectorImporter(only_department_id=departments["yjj"].id)


def _items(departments):
    return ItemImporter(departments["yjj"])


def _conflicts(departments):
    return ConflictImporter(only_department_id=departments["yjj"].id)


def _with_people(departments):
    db.session.add_all([
        Subject(credit_code=code(1), name="河清县甲化工有限公司", category="一般单位"),
        Inspector(department_id=departments["yjj"].id, name="张伟", cert_no="13260101001"),
        Inspector(department_id=departments["scj"].id, name="赵敏", cert_no="13260201001"),
    ])
    db.session.commit()


KINDS = {
    "subjects": (_subjects, SUBJECT_ROWS, None),
    "inspectors": (_inspectors, [
        ["执法检查人员名录"],
        INSPECTOR_HEADER,
        ["张伟", "男", "应急管理局", "13260101001", "2030-12-31", "危险化学品、工贸", "城关片区", "是", "2024-06-10",
         "13800000001"],
        ["王强", "男", "应急管理局", "", "", "", "", "", "", ""],
        ["赵敏", "女", "市场监督管理局", "13260201001", "2030-01-01", "", "", "", "", "12345"],
        ["周杰", "男", "应急管理局", "13260101004", "2030-01-01", "", "", "", "下周一", ""],
    ], None),
    "items": (_items, [
        ["应急管理局随机抽查事项清单"],
        ITEM_HEADER,
        ["YJJ-001", "危险化学品企业安全检查", "《危险化学品安全管理条例》第六条", "应急管理局", "危化企业", "危险化学品",
         "安全生产条件", "实地核查", "不低于20%", "营业执照、安全生产许可证"],
        ["", "工贸企业安全检查", "《安全生产法》", "应急管理局", "工贸企业", "工贸", "制度落实", "书面检查", "5%", ""],
    ], None),
    "conflicts": (_conflicts, [
        ["执法证号", "姓名", "统一社会信用代码", "单位名称", "回避原因"],
        ["13260101001", "张伟", code(1), "甲化工", "近亲属任职"],
        ["13260101001", "张伟", code(1), "甲化工", "重复"],
        ["99999999999", "", code(1), "", "近亲属"],
        ["13260201001", "赵敏", code(1), "", "曾在该单位任职"],
    ], _with_people),
}


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_importer_reads_a_csv_as_it_reads_the_same_workbook(ctx, tmp_path, departments, kind, encoding):
    make, rows, given = KINDS[kind]
    if given:
        given(departments)
    expected = run_import(make(departments), write_xlsx(tmp_path / "a.xlsx", rows), dry_run=True)
    assert expected.valid and expected.refused or kind == "items"  # the rows do exercise both outcomes
    report = run_import(make(departments), write_csv(tmp_path / "a.csv", rows, encoding=encoding), dry_run=True)
    assert outcome(report) == outcome(expected)
    applied = run_import(make(departments), tmp_path / "a.csv", dry_run=False)
    assert applied.applied and applied.created == expected.created
    again = run_import(make(departments), tmp_path / "a.csv", dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, expected.created)
    # the workbook of the same rows is the same data: nothing to change
    assert run_import(make(departments), tmp_path / "a.xlsx", dry_run=True).unchanged == expected.created


def test_a_gb18030_csv_keeps_its_characters_and_row_numbers(ctx, tmp_path):
    rows = [HEADER, subject_row(1, name="河清县䶮䶵文化传媒有限公司"), subject_row(2, category="?"),
            subject_row(3, address="城关镇“人民路”1号，二层")]
    path = write_csv(tmp_path / "gb.csv", rows, encoding="gb18030")
    with pytest.raises(UnicodeEncodeError):
        "䶮".encode("gbk")  # outside GBK: only GB18030 (four bytes) holds it
    report = run_import(SubjectImporter(), path, dry_run=False)
    assert (report.created, [r.row for r in report.refused]) == (2, [3])
    assert "单位类别“?”无效" in report.refused[0].reason
    names = db.session.scalars(sa.select(Subject.name).order_by(Subject.id)).all()
    assert names[0] == "河清县䶮䶵文化传媒有限公司"
    assert db.session.scalar(sa.select(Subject.address).where(Subject.credit_code == code(3))) == "城关镇“人民路”1号,二层"


def test_tab_and_semicolon_separated_text_and_a_quoted_line_break(ctx, tmp_path):
    rows = [HEADER, subject_row(1, address="城关镇人民路1号\n（东门）"), subject_row(2, category="?")]
    for delimiter, name in (("\t", "export.xls"), (";", "export.csv")):
        # Some systems save tab-separated text under an .xls name; Excel and WPS open it, and so does the reader.
        path = write_csv(tmp_path / name, rows, encoding="gbk", delimiter=delimiter)
        report = run_import(SubjectImporter(), path, dry_run=True)
        assert (report.total, report.created, [r.row for r in report.refused]) == (2, 1, [3]), delimiter


@pytest.mark.parametrize("data, message", [
    ("河清縣檢查對象名錄\r\n統一社會信用代碼,企業名稱,住所,行業,單位類別\r\n".encode("big5"), "无法识别 CSV 文件的字符编码"),
    ("Müller Café GmbH,Straße".encode("latin-1"), "无法识别 CSV 文件的字符编码"),
    ("統一社会信用コード,企業名称\r\n".encode("shift_jis"), "无法识别 CSV 文件的字符编码"),
    (b"\xef\xbb\xbf" + "名称".encode("gbk"), "无法识别 CSV 文件的字符编码"),  # a UTF-8 BOM before GBK bytes
    (bytes(range(256)) * 4, "无法读取该文件"),
    ("<html><body><table><tr><td>企业名称</td></tr></table></body></html>".encode("gbk"), "网页（HTML）或 XML 格式"),
    (b"", "无法读取该文件：文件是空的"),
    (b"\r\n\r\n", "文件中没有数据"),
])
def test_a_file_whose_encoding_cannot_be_told_is_refused_in_chinese(ctx, tmp_path, data, message):
    path = tmp_path / "list.csv"
    path.write_bytes(data)
    with pytest.raises(FileRefused, match=message):
        run_import(SubjectImporter(), path, dry_run=False)
    assert count(Subject) == 0


def test_an_old_xls_workbook_still_imports_with_title_and_aliases(ctx, tmp_path):
    expected = run_import(SubjectImporter(), write_xlsx(tmp_path / "a.xlsx", SUBJECT_ROWS), dry_run=True)
    report = run_import(SubjectImporter(), write_xls(tmp_path / "a.xls", SUBJECT_ROWS), dry_run=False)
    assert outcome(report) == outcome(expected)
    assert (report.header_row, report.created, [r.row for r in report.refused]) == (3, 3, [9, 10, 11])
    assert count(Subject) == 3


# ---- the command line and the web ---------------------------------------------------------------------


def test_cli_imports_a_gb18030_csv_and_refuses_an_unknown_encoding_in_one_line(runner, ctx, tmp_path):
    path = write_csv(tmp_path / "名录.csv", [HEADER, subject_row(1), subject_row(2, category="?")], encoding="gb18030")
    result = runner.invoke(args=["import-subjects", str(path)])
    assert result.exit_code == 0, result.output
    assert "共2行数据，新增1条" in result.output and "第3行：单位类别“?”无效" in result.output
    assert count(Subject) == 1
    path.write_bytes("統一社會信用代碼,企業名稱".encode("big5"))
    result = runner.invoke(args=["import-subjects", str(path)])
    assert result.exit_code == 2 and result.output.strip().count("\n") == 0
    assert result.output.startswith("错误：无法识别 CSV 文件的字符编码")
    assert "CSV" in runner.invoke(args=["import-subjects", "--help"]).output


@pytest.mark.parametrize("name, write", [("名录.csv", lambda p, rows: write_csv(p, rows, encoding="gbk")),
                                         ("名录.xls", write_xls)])
def test_web_import_previews_and_imports_a_gbk_csv_and_an_xls(client, as_role, tmp_path, name, write):
    as_role("office")
    page = client.get("/import/subjects").data.decode()
    assert ".csv" in page and "GBK" in page
    path = write(tmp_path / name, [["河清县检查对象名录"], HEADER, subject_row(1), subject_row(2, category="?")])
    with path.open("rb") as handle:
        preview = client.post("/import/subjects", data={"file": (handle, name)}, content_type="multipart/form-data")
    page = preview.data.decode()
    assert preview.status_code == 200 and "导入预检" in page
    assert "第4行" in page
    assert "单位类别“?”无效" in page and count(Subject) == 0
    token = page.split('name="token" value="')[1].split('"')[0]
    done = client.post("/import/subjects/confirm", data={"token": token, "filename": name})
    assert done.status_code == 200 and count(Subject) == 1
    assert db.session.scalar(sa.select(Subject.name)) == "河清县测试1号有限公司"


# ---- the exchange imports (coordinator.exchange) go through the same reader ------------------------------

EXCHANGE = {
    "risk-classes": (RiskClassImporter, "gbk", [
        ["河清县市场监管局企业信用风险分类结果（2024年第二季度）"],
        ["统一社会信用代码", "企业名称", "信用风险分类", "分类日期", "来源"],
        [county_code(1), "河清县测试01有限公司", "高风险", "2024-06-30", "县市场监管局"],
        [county_code(2), "", "A类", "2024/06/30", ""],
        [county_code(3), "", "E", "2024-06-30", ""],
    ]),
    "registration": (RegistrationImporter, "gb18030", [
        ["统一社会信用代码", "企业名称", "变更事项", "变更日期", "变更后内容", "登记机关"],
        [county_code(1), "", "注销", "2024-05-06", "", "河清县市场监管局"],
        [county_code(3), "", "名称变更", "2024-05-08", "河清县䶮新名字有限公司", ""],
        [county_code(5), "", "破产", "2024-05-09", "", ""],
    ]),
    "personnel": (PersonnelImporter, "utf-8-sig", [
        ["河清县司法局行政执法人员信息"],
        ["执法证号", "姓名", "执法单位", "证件类型", "发证日期", "有效期至", "执法区域", "执法类别"],
        ["139901000", "yjj执法员0", "河清县应急管理局", "行政执法证", "2021-01-01", "2031-12-31", "河清县", "安全生产"],
        ["X2", "孙八", "应急管理局", "", "", "", "", ""],
    ]),
}


@pytest.mark.parametrize("kind", sorted(EXCHANGE))
def test_the_exchange_imports_read_csv_as_they_read_workbooks(ctx, tmp_path, kind):
    build_county()
    make, encoding, rows = EXCHANGE[kind]
    expected = run_import(make(), write_xlsx(tmp_path / "a.xlsx", rows), dry_run=True)
    assert expected.valid and expected.refused
    path = write_csv(tmp_path / "a.csv", rows, encoding=encoding)
    assert outcome(run_import(make(), path, dry_run=True)) == outcome(expected)
    applied = run_import(make(), path, dry_run=False)
    assert applied.applied and (applied.created, applied.updated) == (expected.created, expected.updated)
    again = run_import(make(), path, dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, expected.valid)
