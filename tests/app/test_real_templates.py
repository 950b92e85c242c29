"""Directories as real platforms export them: provincial header names, and the old 15-digit 注册号."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from coordinator.directories import creditcode
from coordinator.directories.importers import InspectorImporter, SubjectImporter
from coordinator.directories.models import Inspector, Subject
from coordinator.excel.importing import run_import
from coordinator.extensions import db
from tests.app.test_imports import code
from tests.xlsx import write_xlsx


def registration_no(n: int, area: str = "130101") -> str:
    body = f"{area}{n:08d}"
    return body + creditcode.registration_check_digit(body)


def mod_11_10_valid(number: str) -> bool:
    """ISO 7064 MOD 11,10 checked over all 15 digits, as GB/T 17710 states the check (not as we compute it)."""
    p = 10
    for digit in number:
        s = p % 11 + int(digit)
        if s % 10 == 0:
            s = 10
        p = (s % 10 or 10) * 2
        last = s
    return last % 10 == 1


# ---- the 15-digit registration number ------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 7, 42, 123456, 99999999])
def test_registration_numbers_we_accept_pass_the_standard_check(n):
    number = registration_no(n)
    assert mod_11_10_valid(number)
    assert creditcode.problem(number) is None
    assert creditcode.kind(number) == "注册号"


def test_every_single_digit_corruption_of_a_registration_number_is_caught():
    number = registration_no(4711)
    for position in range(15):
        for digit in "0123456789":
            if digit != number[position]:
                corrupted = number[:position] + digit + number[position + 1:]
                assert creditcode.problem(corrupted) is not None, corrupted


def test_registration_number_problems_are_explained():
    number = registration_no(5)
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert creditcode.problem(wrong) == f"注册号校验位错误（应为{number[-1]}）"
    assert "只能由数字组成" in creditcode.problem("13010100000000A")
    assert "15位注册号" in creditcode.problem("1234567890")
    assert creditcode.kind(code(1)) == "统一社会信用代码"


SUBJECT_HEADER = ["序号", "统一社会信用代码", "注册号", "企业名称", "住所", "单位类别", "登记机关"]


def test_an_enterprise_with_only_its_registration_number_is_imported_and_shown(ctx, client, make_user, tmp_path):
    old = registration_no(31)
    bad = registration_no(32)[:-1] + str((int(registration_no(32)[-1]) + 1) % 10)
    path = write_xlsx(tmp_path / "名录.xlsx", [
        SUBJECT_HEADER,
        [1, code(30), "", "有统一代码的公司", "城关镇1号", "一般单位", "河清县市场监督管理局"],
        [2, "", old, "只有注册号的老厂", "城关镇2号", "一般单位", "河清县市场监督管理局"],
        [3, "", bad, "注册号写错的厂", "城关镇3号", "一般单位", "河清县市场监督管理局"],
    ])
    report = run_import(SubjectImporter(), path, dry_run=False)
    assert (report.created, [r.row for r in report.refused]) == (2, [4])
    assert "注册号校验位错误" in report.refused[0].reason
    assert report.ignored_headers == ["登记机关"]  # 序号 is every export's first column: passed over silently
    subject = db.session.scalar(sa.select(Subject).where(Subject.credit_code == old))
    assert subject.code_kind == "注册号"

    login_as = make_user("office", None)
    client.post("/login", data={"username": login_as.username, "password": "Passw0rd1"})
    detail = client.get(f"/subjects/{subject.id}").get_data(as_text=True)
    assert "<dt>注册号</dt>" in detail and old in detail
    listing = client.get("/subjects?q=老厂").get_data(as_text=True)
    assert old in listing and ">注册号</small>" in listing


def test_a_later_file_with_the_unified_code_updates_the_enterprise_kept_under_its_registration_number(ctx, tmp_path):
    old = registration_no(77)
    run_import(SubjectImporter(), write_xlsx(tmp_path / "a.xlsx", [
        SUBJECT_HEADER, [1, "", old, "换照前的厂", "城关镇1号", "一般单位", ""]]), dry_run=False)
    report = run_import(SubjectImporter(), write_xlsx(tmp_path / "b.xlsx", [
        SUBJECT_HEADER, [1, code(77), old, "换照后的厂", "城关镇1号", "一般单位", ""]]), dry_run=False)
    assert (report.created, report.updated) == (0, 1)
    assert db.session.scalars(sa.select(Subject.credit_code)).all() == [code(77)]


# ---- provincial inspector templates ----------------------------------------------------------------------


@pytest.fixture
def yjj(departments):
    return departments["yjj"]


def test_a_provincial_template_headed_by_business_department_imports(ctx, yjj, tmp_path):
    path = write_xlsx(tmp_path / "执法检查人员.xlsx", [
        ["XX省“双随机、一公开”执法检查人员名录"],
        ["序号", "姓名", "性别", "所属业务部门（机构）", "执法证件号码", "执法证有效期", "身份证号", "手机号"],
        [1, "王五", "男", "应急管理局", "13990100001", "2030-12-31", "130101199001011234", "13800000001"],
    ])
    report = run_import(InspectorImporter(), path, dry_run=False)
    assert (report.created, report.refused) == (1, [])
    assert report.ignored_headers == ["身份证号"]
    inspector = db.session.scalar(sa.select(Inspector))
    assert (inspector.department_id, inspector.cert_no, inspector.mobile) == (yjj.id, "13990100001", "13800000001")


def test_an_export_with_two_columns_for_one_field_takes_the_preferred_one(ctx, yjj, tmp_path):
    # 浙江's list: the agency in 工作单位, its office in 部门/机构; a department and a provincial certificate.
    path = write_xlsx(tmp_path / "执法人员.xlsx", [
        ["序号", "姓名", "性别", "单位工号", "手机号", "岗位大类", "部门/机构", "担任职务", "工作单位",
         "部门执法证", "有效期", "省政府执法证", "有效期", "设置人"],
        [1, "赵六", "女", "0012", "13800000002", "安全生产执法", "危化科", "科长", "应急管理局",
         "13990100002", "2031-06-30", "ZJ000123", "2029-01-01", "管理员"],
    ])
    report = run_import(InspectorImporter(), path, dry_run=False)
    assert report.refused == [] and report.created == 1
    inspector = db.session.scalar(sa.select(Inspector))
    assert (inspector.cert_no, str(inspector.cert_expiry), inspector.position, inspector.post) == (
        "13990100002", "2031-06-30", "科长", "安全生产执法")
    assert report.ignored_headers == ["单位工号", "部门/机构", "省政府执法证", "有效期", "设置人"]


def test_the_command_line_names_the_ignored_columns_once(runner, ctx, yjj, tmp_path):
    path = write_xlsx(tmp_path / "执法人员.xlsx", [
        ["姓名", "所属业务部门（机构）", "政治面貌"], ["钱七", "应急管理局", "群众"], ["孙八", "应急管理局", "党员"]])
    result = runner.invoke(args=["import-inspectors", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.count("未识别、已忽略的列：政治面貌") == 1
    assert "新增2条" in result.output
