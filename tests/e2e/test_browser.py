"""The whole campaign in a real browser (Debian's Chromium driven by Playwright), as the people who do each step.

Screenshots of every main page go to test-artifacts/e2e/.
"""
from __future__ import annotations

import hashlib
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.browsing import ARTIFACTS, Person, serve_demo

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def live_server(app, tmp_path_factory):
    yield from serve_demo(app, tmp_path_factory.mktemp("e2e"))


def seed_round(office: Person, parties: list[Person], campaign: str, label: str, shots: str) -> None:
    """The office opens the draw's round; each party makes its value on its own screen and commits to it (the value
    never leaves the browser), the last commitment locks the input; each reveals (the browser kept the value);
    the office draws."""
    office.go(f"/campaigns/{campaign}")
    office.click_through(f"button:has-text('开始征集随机数承诺（{label}）')")
    assert "已开始征集" in office.flash()
    round_path = office.page.url.replace(office.base, "")
    for person in parties:  # each sees its step, with the deadline, on its workbench
        person.go("/")
        assert "生成随机值并提交承诺（截止" in person.page.inner_text("body")
    parties[-1].shot(f"{shots}-workbench-{parties[-1].username}")
    for person in (office, *parties):
        person.go(round_path)
        form = person.page.locator("form[data-seed-commit]")
        form.locator("[data-seed-generate]").click()
        value = form.locator("[data-seed-value]").input_value()
        assert re.fullmatch(r"[0-9a-f]{64}", value)
        assert form.locator("[data-seed-commitment]").input_value() == hashlib.sha256(value.encode()).hexdigest()
        person.shot(f"{shots}-commit-{person.username}")
        assert person.fits(), person.username
        with person.page.expect_request(lambda request: request.method == "POST") as posted, \
                person.page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert value not in (posted.value.post_data or "")  # only the commitment is sent
        assert "承诺已提交" in person.flash()
    for person in (office, *parties):
        person.go(round_path)
        form = person.page.locator("form[data-seed-reveal]")
        assert "与承诺值一致" in form.locator("[data-seed-match]").inner_text()  # filled from the browser's keeping
        person.click_through(form.locator("button[type=submit]"))
        assert "已揭示" in person.flash(), person.flash()
    office.go(round_path)
    office.click_through("button:has-text('算出种子并抽取')")
    assert "完成抽取" in office.flash()
    office.shot(f"{shots}-drawn")
    parties[-1].go(round_path)
    parties[-1].shot(f"{shots}-drawn-{parties[-1].username}")
    assert parties[-1].fits()


def test_a_campaign_walked_through_by_its_people(live_server, browser):
    office = Person(browser, live_server, "office")
    office.shot("00-workbench")

    # The office creates the campaign: petrol stations, 应急管理局 leading, 商务局 joining.
    office.go("/campaigns/new?preset=joint20")
    page = office.page
    page.fill("#name", "2026年度成品油领域部门联合抽查（浏览器测试）")
    page.select_option("#lead_department_id", label="应急管理局")
    page.get_by_label("商务局", exact=True).check()
    # Visits already made by the time results are entered (an inspection date cannot lie in the future): the
    # dates are counted from today, so that the walk reads the same on any day it runs.
    today = date.today()
    for field, days in {"#period_start": -29, "#period_end": 31, "#items_deadline": -26,
                        "#visit_start": -21, "#visit_end": -3}.items():
        page.fill(field, (today + timedelta(days=days)).isoformat())
    page.get_by_label("成品油", exact=True).check()
    page.fill("#inspector_capacity", "1")  # 商务局's 14 people make at most 7 teams: some enterprises go unstaffed
    office.shot("01-campaign-form")
    page.click("button:has-text('创建抽查')")
    page.wait_for_url(re.compile(r"/campaigns/\d+$"))
    campaign = page.url.rsplit("/", 1)[1]
    assert "已创建" in office.flash()

    # Each department submits its items and materials for the campaign.
    for username in ("yjj_admin", "swj_admin"):
        person = Person(browser, live_server, username)
        person.go(f"/campaigns/{campaign}/items")
        for box in person.page.locator("input[name=item_ids]").all():
            box.check()
        person.shot(f"02-items-{username}")
        person.click_through("button:has-text('提交')")
        assert "已提交" in person.flash()

    # The enterprises are drawn with a seed the office and both departments make together (one of them on a phone).
    office.go(f"/campaigns/{campaign}")
    office.shot("03-coverage-before-lock")
    parties = [Person(browser, live_server, "yjj_admin"), Person(browser, live_server, "swj_admin", phone=True)]
    seed_round(office, parties, campaign, "抽取检查对象", "03")
    office.go(f"/campaigns/{campaign}/subjects")
    drawn = page.locator("table.list tbody tr").count()
    assert 10 <= drawn <= 18  # ceil(20 % × the active ones among the 90 petrol stations)
    office.shot("04-drawn")

    # Both departments confirm within the working day: 应急管理局 marks one enterprise closed and confirms the rest
    # in the same click; the mark is kept.
    yjj = Person(browser, live_server, "yjj_admin")
    yjj.go(f"/campaigns/{campaign}/confirm")
    first = yjj.page.locator("select[name^=decision-]").first
    closed_name = yjj.page.locator("table.list tbody tr").first.locator("td").first.inner_text().split("\n")[0]
    first.select_option(label="已关闭停业")
    yjj.page.locator("input[name^=reason-]").first.fill("现场已停业，加油机已拆除")
    yjj.shot("05-confirm-yjj_admin-marked")
    yjj.click_through("button:has-text('其余全部确认')")
    assert f"已记录{drawn}户的确认结果，其中1户标记为不检查或需替换" in yjj.flash()
    assert "已记录：已关闭停业" in yjj.page.inner_text("body")
    yjj.shot("05-confirm-yjj_admin-saved")
    swj = Person(browser, live_server, "swj_admin")
    swj.go(f"/campaigns/{campaign}/confirm")
    swj.shot("05-confirm-swj_admin")
    swj.click_through("button:has-text('其余全部确认')")
    assert f"已记录{drawn}户" in swj.flash()

    # The office accepts the closed one short rather than replacing it (核减), with the question first.
    office.go(f"/campaigns/{campaign}")
    assert closed_name in office.page.inner_text("body")
    office.click_through("button:has-text('核减，不再替换')")
    assert "已核减" in office.flash()
    drawn -= 1

    # The teams are drawn the same way. With one visit per inspector, some enterprises go unstaffed: the office is
    # told how many and why, adds capacity, and staffs the rest by a supplementary draw.
    seed_round(office, parties, campaign, "随机组队", "06")
    assert "未能配齐" in office.flash() and "联合检查组已随机组成" not in office.flash()
    office.go(f"/campaigns/{campaign}")
    body = office.page.inner_text("body")
    assert f"{drawn}户中已配齐检查组" in body and "执法人员的检查户数或检查日期已排满" in body and "只派发已配齐的" in body
    office.shot("06-partly-staffed")
    office.page.fill("#inspector_capacity", "10")
    office.click_through("button:has-text('保存设置')")
    assert "补充组队的设置已保存" in office.flash()
    seed_round(office, parties, campaign, "补充组队", "06b")
    assert f"{drawn}户全部配齐" in office.flash()
    office.go(f"/campaigns/{campaign}/teams")
    office.shot("06-teams")
    page.locator("table.list a:has-text('一企一表')").first.click()
    page.wait_for_url(re.compile(r"/records/\d+$"))
    assert page.locator("text=联合检查记录表（一企一表）").count() >= 1
    office.shot("07-joint-record")
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF" and len(pdf) > 10_000
    (ARTIFACTS / "07-joint-record.pdf").write_bytes(pdf)
    office.go(f"/campaigns/{campaign}")
    office.click_through("#dispatch button:has-text('派发')")
    assert "已派发" in office.flash()

    # Results: an officer's workbench shows the records waiting for the department, and the count opens them.
    officer = Person(browser, live_server, "yjj_officer")
    officer.page.click("a:has-text('检查对象的检查结果')")
    officer.page.wait_for_url(re.compile(r"/results/\?todo=enter"))
    assert "待录入检查结果" in officer.page.inner_text("body")
    officer.shot("08-officer-to-enter")
    # Each department enters its result on one enterprise's record; the lead department publishes it.
    lead = Person(browser, live_server, "yjj_admin")
    lead.go(f"/results/?campaign={campaign}")
    lead.shot("08-results-list")
    lead.page.locator("table.list a:has-text('查看')").first.click()
    lead.page.wait_for_url(re.compile(r"/results/\d+$"))
    record_url = lead.page.url.replace(live_server, "")
    for person in (lead, Person(browser, live_server, "swj_admin")):
        person.go(record_url + "/entry")
        for select in person.page.locator("select[name^=result-]").all():
            select.select_option("未发现问题")
        person.page.get_by_label("无需后续处置").check()
        person.shot(f"08-entry-{person.username}")
        person.click_through("button[value=submit]")
        assert "检查结果已提交" in person.flash()
    lead.go("/")  # the record waiting for the lead department's review is on its workbench, and opens
    lead.page.click("a:has-text('审核并公示1条')")
    lead.page.wait_for_url(re.compile(r"/results/\?todo=review"))
    lead.shot("09-lead-to-review")
    lead.page.locator("table.list a:has-text('查看')").first.click()
    lead.page.wait_for_url(re.compile(r"/results/\d+$"))
    assert lead.page.url.replace(live_server, "") == record_url
    # Seed 003's order: the inspection report first; until then publication is not offered.
    assert lead.page.locator("button:has-text('审核通过并公示')").is_disabled()
    lead.page.click("a:has-text('去形成检查报告')")
    lead.page.fill("#evaluation", "未发现问题，安全生产主体责任基本落实")
    lead.page.fill("#handling", "无需后续处置")
    lead.click_through("button:has-text('形成检查报告')")
    assert "检查报告已形成" in lead.flash()
    lead.click_through("button:has-text('审核通过并公示')")
    assert "已审核并公示" in lead.flash()
    lead.shot("09-published")

    # The statistics form for the campaign, downloaded and opened.
    office.go(f"/stats/?campaign={campaign}")
    office.shot("10-stats")
    with page.expect_download() as download:
        page.click("a:has-text('下载统计表')")
    content = Path(download.value.path()).read_bytes()
    sheet = pd.read_excel(io.BytesIO(content), engine="calamine", header=None, dtype=str).fillna("")
    text = sheet.to_string()
    assert "随机抽查企业" in text and "应急管理局" in text and "商务局" in text
    office.go("/public/")
    office.shot("11-public")


PAGES = {  # what each role opens most, at a desk and on a phone
    "office": ["/", "/campaigns/{campaign}", "/campaigns/{campaign}/teams", "/results/?todo=enter", "/plans/",
               "/audit/", "/stats/"],
    "yjj_admin": ["/", "/campaigns/{campaign}", "/campaigns/{campaign}/teams", "/results/?todo=enter"],
    "yjj_officer": ["/", "/results/?todo=enter", "/campaigns/{campaign}/teams"],
    "swj_admin": ["/", "/campaigns/{campaign}", "/results/?todo=enter"],
}


def test_every_role_at_a_desk_and_on_a_phone(live_server, browser):
    """Each role's main pages at 1440 px and at 390 × 844, screenshots kept; nothing sticks out sideways."""
    office = Person(browser, live_server, "office")
    office.go("/campaigns/")
    link = office.page.locator("table a:has-text('浏览器测试')").first  # the campaign the walk-through made
    campaign = link.get_attribute("href").rsplit("/", 1)[1]
    for username, paths in PAGES.items():
        for label, person in (("1440", Person(browser, live_server, username, width=1440)),
                              ("390", Person(browser, live_server, username, phone=True))):
            for n, path in enumerate(paths):
                person.go(path.format(campaign=campaign))
                person.shot(f"walk-{label}-{username}-{n:02d}")
                assert person.fits(), (username, label, path)
