"""The pages as users see them: lists, search and filters, empty states, forms, histories, errors."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from coordinator.auth.models import User
from coordinator.directories.creditcode import check_character
from coordinator.directories.models import Inspector, Subject, SubjectStatusChange
from coordinator.directories.services import forget_directory_cache
from coordinator.extensions import db
from coordinator.items.models import Item, ItemVersion
from coordinator.states import SubjectStatus
from coordinator.vocab import CATEGORIES, HISTORY_FLAGS

REGIONS = ("城关镇", "东关镇", "西河乡")
RISKS = ("", "A", "B", "C", "D")


def credit_code(n: int) -> str:
    first17 = f"91130000{n:09d}"
    return first17 + check_character(first17)


def subject_row(n: int) -> dict:
    return {"credit_code": credit_code(n), "name": f"河清县测试{n}号商店", "address": f"人民路{n}号",
            "region": REGIONS[n % 3], "category": CATEGORIES[n % 4 % 3], "risk_class": RISKS[n % 5],
            "status": SubjectStatus.SUSPENDED if n % 10 == 0 else SubjectStatus.ACTIVE}


@pytest.fixture
def many_subjects(ctx):
    rows = [subject_row(n) for n in range(1, 121)]
    db.session.execute(sa.insert(Subject), rows)
    db.session.commit()
    forget_directory_cache()  # as every writer of the directory does: the list caches its filter options
    return rows


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def total(html: str) -> int:
    match = re.search(r"共 ([\d,]+) 条", html)
    assert match, "no pager"
    return int(match.group(1).replace(",", ""))


def listed_subjects(html: str) -> list[str]:
    return re.findall(r'<a href="/subjects/\d+">([^<]+)</a>', html)


# ---- the enterprise list -------------------------------------------------------------------------


def test_subject_list_paginates(client, as_role, many_subjects):
    as_role("officer")
    first = body(client.get("/subjects"))
    assert "共 120 条，第 1 / 3 页" in first
    page1 = listed_subjects(first)
    assert len(page1) == 50
    assert page1[0] == "河清县测试120号商店"  # newest first
    assert 'href="/subjects?page=2"' in first and "下一页" in first

    page2 = listed_subjects(body(client.get("/subjects?page=2")))
    last = body(client.get("/subjects?page=3"))
    assert len(page2) == 50 and not set(page1) & set(page2)
    assert "第 3 / 3 页" in last and len(listed_subjects(last)) == 20
    assert "下一页" not in last and "上一页" in last
    assert len(set(page1) | set(page2) | set(listed_subjects(last))) == 120
    # A page past the end is an empty page, not an error.
    assert listed_subjects(body(client.get("/subjects?page=99"))) == []


def test_subject_search_by_name_and_code(client, as_role, many_subjects):
    as_role("officer")
    assert listed_subjects(body(client.get("/subjects", query_string={"q": "测试7号"}))) == ["河清县测试7号商店"]
    by_code = body(client.get("/subjects", query_string={"q": credit_code(42)}))
    assert listed_subjects(by_code) == ["河清县测试42号商店"]
    # As typed by hand: lower case, full-width spaces around it.
    typed = "\u3000" + credit_code(42).lower() + " "
    assert listed_subjects(body(client.get("/subjects", query_string={"q": typed}))) == ["河清县测试42号商店"]
    assert total(body(client.get("/subjects", query_string={"q": "人民路11"}))) == 11  # 11, 110..119
    assert total(body(client.get("/subjects", query_string={"q": credit_code(42)[:16]}))) == 10  # 40..49


@pytest.mark.parametrize("filters", [
    {"region": "城关镇"},
    {"category": "九小场所"},
    {"risk_class": "未分类"},
    {"risk_class": "D"},
    {"status": "suspended"},
    {"region": "东关镇", "risk_class": "未分类", "status": "active"},
])
def test_subject_filters_narrow_the_list(client, as_role, many_subjects, filters):
    as_role("office")
    wanted = [row for row in many_subjects
              if all(row[key] == ("" if value == "未分类" else value) for key, value in filters.items())]
    assert 0 < len(wanted) < 120
    html = body(client.get("/subjects", query_string=filters))
    assert total(html) == len(wanted)
    shown = set(listed_subjects(html))
    assert shown <= {row["name"] for row in wanted}
    assert len(shown) == min(len(wanted), 50)
    if len(wanted) > 50:  # the pager keeps the filters
        next_link = re.search(r'href="(/subjects\?[^"]*page=2[^"]*)"', html).group(1)
        for key in filters:
            assert f"{key}=" in next_link


def test_filter_options_come_from_the_directory(client, as_role, many_subjects):
    as_role("office")
    html = body(client.get("/subjects?region=西河乡"))
    for region in REGIONS:
        assert f'<option value="{region}"' in html
    assert '<option value="西河乡" selected>' in html
    assert '<option value="未分类"' in html


# ---- empty states --------------------------------------------------------------------------------


def test_workbench_counts_follow_every_change_of_the_directory(client, as_role, many_subjects):
    """The county-wide counts are cached between visits; a status change or a new enterprise shows at once."""
    user = as_role("office")

    def counts():
        match = re.search(r'<div class="value">([\d,]+)</div><div class="label">存续检查对象（共 ([\d,]+) 户）',
                          body(client.get("/")))
        return tuple(int(x.replace(",", "")) for x in match.groups())

    assert counts() == (108, 120)
    from coordinator.directories.services import change_status

    active = db.session.scalar(sa.select(Subject).where(Subject.status == SubjectStatus.ACTIVE).order_by(Subject.id))
    change_status(active, SubjectStatus.DEREGISTERED, "测试", user.id)
    db.session.commit()
    assert counts() == (107, 120)
    assert client.post("/subjects/new", data=subject_form()).status_code in (302, 303)
    assert db.session.scalar(sa.select(sa.func.count(Subject.id))) == 121
    assert counts() == (108, 121)


def test_empty_subject_list_tells_the_office_to_import(client, as_role):
    as_role("office")
    html = body(client.get("/subjects"))
    assert "名录库还是空的。请导入检查对象名录（Excel），或逐户新增。" in html
    assert 'href="/import/subjects"' in html
    assert "共 0 条" not in html


def test_empty_subject_list_tells_others_to_wait_for_the_office(client, as_role):
    as_role("officer")
    html = body(client.get("/subjects"))
    assert "请等待领导小组办公室导入检查对象名录" in html
    assert 'href="/import/subjects"' not in html


def test_a_search_without_results_says_so(client, as_role, many_subjects):
    as_role("officer")
    html = body(client.get("/subjects?q=不存在的单位"))
    assert "没有符合条件的检查对象，请调整查询条件。" in html and "清除条件" in html
    html = body(client.get("/inspectors?q=不存在的人"))
    assert "没有符合条件的执法人员。" in html


@pytest.mark.parametrize(("role", "url", "text", "link"), [
    ("admin", "/inspectors", "还没有执法检查人员。请导入本单位的执法人员名录，或逐个新增。", "/import/inspectors"),
    ("officer", "/inspectors", "本单位还没有执法检查人员，请联系单位系统管理员录入。", None),
    ("admin", "/items/", "还没有抽查事项。请导入本部门的随机抽查事项清单，或逐项新增。", "/import/items"),
    ("officer", "/items/", "本部门还没有抽查事项清单，请联系单位系统管理员录入。", None),
    ("admin", "/conflicts", "还没有登记回避关系。", None),
])
def test_empty_lists_say_what_to_do_next(client, as_role, role, url, text, link):
    as_role(role)
    html = body(client.get(url))
    assert text in html
    if link:
        assert f'href="{link}"' in html


# ---- the enterprise form, status and detail -------------------------------------------------------


def subject_form(**changes) -> dict:
    data = {"credit_code": credit_code(500), "name": "河清县好运来超市", "address": "城关镇新华街8号",
            "category": "九小场所", "risk_class": "", "crowded": "否", "region": "城关镇",
            **dict.fromkeys(HISTORY_FLAGS, "否")}
    data.update(changes)
    return data


def test_a_bad_credit_code_rerenders_the_form_with_what_was_typed(client, as_role):
    as_role("office")
    good = credit_code(500)
    wrong_check = "0" if good[-1] != "0" else "1"
    response = client.post("/subjects/new", data=subject_form(credit_code=good[:17] + wrong_check))
    html = body(response)
    assert f"统一社会信用代码校验位错误（应为{good[-1]}）" in html
    assert "请修改以下问题后再保存" in html
    assert 'value="河清县好运来超市"' in html
    assert 'value="城关镇新华街8号"' in html
    assert re.search(r'<option selected value="九小场所">|<option value="九小场所" selected>', html)
    assert db.session.scalar(sa.select(sa.func.count(Subject.id))) == 0

    response = client.post("/subjects/new", data=subject_form())
    assert response.status_code in (302, 303)
    saved = db.session.scalar(sa.select(Subject))
    assert (saved.name, saved.credit_code, saved.status) == ("河清县好运来超市", good, SubjectStatus.ACTIVE)


def test_a_duplicate_credit_code_is_refused_by_name(client, as_role, many_subjects):
    as_role("office")
    html = body(client.post("/subjects/new", data=subject_form(credit_code=credit_code(3))))
    assert "统一社会信用代码已属于“河清县测试3号商店”" in html


def test_status_change_is_recorded_with_its_reason(client, as_role, many_subjects):
    office = as_role("office")
    subject = db.session.scalar(sa.select(Subject).where(Subject.credit_code == credit_code(1)))
    url = f"/subjects/{subject.id}"
    assert "没有变更记录。" in body(client.get(url))

    response = client.post(f"{url}/status", data={"status": "suspended", "reason": ""})
    assert response.status_code in (302, 303)
    assert "请填写变更原因" in body(client.get(url))
    assert db.session.scalar(sa.select(sa.func.count(SubjectStatusChange.id))) == 0

    response = client.post(f"{url}/status", data={"status": "suspended", "reason": "实地核查：门店已关闭三个月"})
    assert response.status_code in (302, 303)
    html = body(client.get(url))
    assert "经营状态已改为“停业”" in html
    assert "存续 → 停业" in html and "实地核查：门店已关闭三个月" in html and office.display_name in html
    change = db.session.scalar(sa.select(SubjectStatusChange))
    assert (change.old_status, change.new_status, change.user_id) == (SubjectStatus.ACTIVE, SubjectStatus.SUSPENDED, office.id)
    # The list filter sees the new status.
    assert credit_code(1) in body(client.get("/subjects?status=suspended"))


def test_an_enterprise_name_with_markup_is_shown_as_text(client, as_role):
    name = "<script>alert(1)</script>"
    db.session.add(Subject(credit_code=credit_code(9), name=name, category="一般单位", address='"><img src=x>'))
    db.session.commit()
    subject_id = db.session.scalar(sa.select(Subject.id))
    as_role("officer")
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    for url in ("/subjects", f"/subjects/{subject_id}", "/subjects?q=<script>"):
        html = body(client.get(url))
        assert name not in html and escaped in html, url
    assert "<img src=x>" not in body(client.get(f"/subjects/{subject_id}"))


# ---- inspectors ----------------------------------------------------------------------------------


@pytest.fixture
def three_inspectors(departments):
    today = date.today()
    rows = {
        "valid": Inspector(department_id=departments["yjj"].id, name="王有效", cert_no="YJ100",
                           cert_expiry=today + timedelta(days=200)),
        "expired": Inspector(department_id=departments["yjj"].id, name="赵过期", cert_no="YJ101",
                             cert_expiry=today - timedelta(days=1)),
        "none": Inspector(department_id=departments["yjj"].id, name="钱无证"),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    return {key: inspector.id for key, inspector in rows.items()}


def _inspector_rows(html: str) -> dict[str, str]:
    """Name → the 可否抽取 cell of each row of the inspector list."""
    rows = re.findall(r'<a href="/inspectors/\d+">([^<]+)</a>.*?<td class="nowrap">(<span class="tag[^"]*">[^<]+</span>)'
                      r"</td>\s*</tr>", html, re.S)
    return {name: re.sub(r"<[^>]+>", "", cell) for name, cell in rows}


def test_inspectors_without_a_valid_certificate_are_not_drawable(client, as_role, three_inspectors):
    as_role("officer")
    states = _inspector_rows(body(client.get("/inspectors")))
    assert states == {"王有效": "可抽取", "赵过期": "已过期", "钱无证": "无执法证"}

    assert set(_inspector_rows(body(client.get("/inspectors?state=drawable")))) == {"王有效"}
    assert set(_inspector_rows(body(client.get("/inspectors?state=not_drawable")))) == {"赵过期", "钱无证"}

    assert "已过期，不可抽取" in body(client.get(f"/inspectors/{three_inspectors['expired']}"))
    none_page = body(client.get(f"/inspectors/{three_inspectors['none']}"))
    assert "无执法证，不可抽取" in none_page
    assert "可抽取</span>" in body(client.get(f"/inspectors/{three_inspectors['valid']}"))


def test_a_stopped_inspector_leaves_the_drawable_list(client, as_role, three_inspectors):
    as_role("admin")
    valid = three_inspectors["valid"]
    assert client.post(f"/inspectors/{valid}/active").status_code in (302, 303)
    assert "已停用（不再参与抽取）" in body(client.get(f"/inspectors/{valid}"))
    assert _inspector_rows(body(client.get("/inspectors?state=drawable"))) == {}
    assert _inspector_rows(body(client.get("/inspectors")))["王有效"] == "已停用"


# ---- items ---------------------------------------------------------------------------------------


def test_editing_an_item_keeps_the_earlier_version(client, as_role):
    admin = as_role("admin")
    response = client.post("/items/new", data={"name": "危险化学品经营单位安全检查", "basis": "《危险化学品安全管理条例》",
                                               "method": "实地核查"})
    assert response.status_code in (302, 303)
    item = db.session.scalar(sa.select(Item))
    assert (item.code, item.version, item.department_id) == ("YJJ-001", 1, admin.department_id)
    detail = body(client.get(f"/items/{item.id}"))
    assert "尚未调整过，这是第一版。" in detail

    response = client.post(f"/items/{item.id}/edit", data={"code": "YJJ-001", "name": "危险化学品经营企业安全检查",
                                                           "basis": "《危险化学品安全管理条例》第六条",
                                                           "method": "实地核查"})
    assert response.status_code in (302, 303)
    detail = body(client.get(f"/items/{item.id}"))
    assert "抽查事项已保存（第2版）" in detail
    assert "<small>第2版</small>" in detail
    history = detail[detail.index("历史版本"):]
    assert "第1版" in history and "危险化学品经营单位安全检查" in history and admin.display_name in history
    assert "《危险化学品安全管理条例》第六条" not in history

    # Saving the same text again makes no new version.
    client.post(f"/items/{item.id}/edit", data={"code": "YJJ-001", "name": "危险化学品经营企业安全检查",
                                               "basis": "《危险化学品安全管理条例》第六条", "method": "实地核查"})
    assert db.session.scalar(sa.select(sa.func.count(ItemVersion.id))) == 1


# ---- accounts ------------------------------------------------------------------------------------


def test_users_page_lists_accounts_with_roles(client, as_role, make_user):
    as_role("office")
    make_user("admin", "scj")
    html = body(client.get("/admin/users"))
    assert "admin_scj" in html and "单位系统管理员" in html and "市场监督管理局" in html
    assert "office_office" in html and "领导小组办公室" in html
    html = body(client.get("/admin/users?q=admin_"))
    assert "admin_scj" in html and "office_office" not in html


@pytest.mark.parametrize(("password", "message"), [
    ("abc123", "密码强度不足：至少8位，且同时包含字母和数字"),
    ("abcdefghij", "密码强度不足：至少8位，且同时包含字母和数字"),
    ("", "新建账号必须设置初始密码"),
])
def test_creating_a_user_enforces_the_password_policy(client, as_role, departments, password, message):
    as_role("office")
    data = {"username": "zhang.san", "display_name": "张三", "role": "officer",
            "department_id": departments["scj"].id, "password": password, "active": "y"}
    html = body(client.post("/admin/users/new", data=data))
    assert message in html
    assert 'value="zhang.san"' in html
    assert db.session.scalar(sa.select(User).where(User.username == "zhang.san")) is None


def test_creating_a_user_with_a_strong_password(client, as_role, departments):
    as_role("office")
    data = {"username": "zhang.san", "display_name": "张三", "role": "officer",
            "department_id": departments["scj"].id, "password": "Strong2024x", "active": "y"}
    response = client.post("/admin/users/new", data=data)
    assert response.status_code in (302, 303)
    user = db.session.scalar(sa.select(User).where(User.username == "zhang.san"))
    assert (user.role, user.department_id) == ("officer", departments["scj"].id)
    assert user.check_password("Strong2024x")
    assert "账号“zhang.san”已保存" in body(client.get("/admin/users"))


def test_a_department_account_needs_a_department(client, as_role):
    as_role("office")
    data = {"username": "li.si", "display_name": "李四", "role": "admin", "department_id": 0,
            "password": "Strong2024x", "active": "y"}
    assert "除领导小组办公室外，每个账号都必须属于一个部门" in body(client.post("/admin/users/new", data=data))


# ---- error pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/subjects/999999", "/items/999999", "/no-such-page", "/import/nonsense"])
def test_missing_pages_answer_in_chinese(client, as_role, url):
    as_role("office")
    response = client.get(url)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "页面不存在" in html and "回到首页" in html


def test_an_upload_over_the_limit_is_refused_with_413(app, client, as_role):
    as_role("office")
    previous = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = client.post("/import/subjects", content_type="multipart/form-data",
                               data={"file": (io.BytesIO(b"x" * 4096), "big.xlsx")})
        small = client.post("/import/subjects", content_type="multipart/form-data",
                            data={"file": (io.BytesIO(b"x" * 100), "notes.txt")})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = previous
    assert response.status_code == 413
    assert "文件过大" in response.get_data(as_text=True)
    assert small.status_code == 200 and "不是 Excel 或 CSV 文件" in small.get_data(as_text=True)
