"""The whole campaign in a real browser (Debian's Chromium driven by Playwright), as the people who do each step.

Screenshots of every main page go to test-artifacts/e2e/.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.browsing import ARTIFACTS, Person, serve_demo

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def live_server(app, tmp_path_factory):
    yield from serve_demo(app, tmp_path_factory.mktemp("e2e"))


def test_a_campaign_walked_through_by_its_people(live_server, browser):
    office = Person(browser, live_server, "office")
    office.shot("00-workbench")

    # The office creates the campaign: petrol stations, 应急管理局 leading, 商务局 joining.
    office.go("/campaigns/new?preset=joint20")
    page = office.page
    page.fill("#name", "2026年度成品油领域部门联合抽查（浏览器测试）")
    page.select_option("#lead_department_id", label="应急管理局")
    page.get_by_label("商务局", exact=True).check()
    for field, value in {"#period_start": "2026-12-01", "#period_end": "2027-01-31", "#items_deadline": "2026-12-04",
                         "#visit_start": "2026-12-07", "#visit_end": "2026-12-31"}.items():
        page.fill(field, value)
    page.get_by_label("成品油", exact=True).check()
    office.shot("01-campaign-form")
    page.click("button:has-text('创建联合抽查')")
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
        person.page.click("button:has-text('提交')")
        assert "已提交" in person.flash()

    # The office locks the list (the hash is published), then draws with the witness's seed.
    office.go(f"/campaigns/{campaign}")
    office.shot("03-coverage-before-lock")
    page.click("button:has-text('锁定抽取名单')")
    assert "已锁定" in office.flash()
    page.fill("#seed", "20261201")
    page.fill("#witness", "县纪委监委派驻纪检组")
    page.click("button:has-text('抽取检查对象')")
    assert "已抽取" in office.flash()
    office.go(f"/campaigns/{campaign}/subjects")
    drawn = page.locator("table.list tbody tr").count()
    assert 10 <= drawn <= 18  # ceil(20 % × the active ones among the 90 petrol stations)
    office.shot("04-drawn")

    # Both departments confirm within the working day.
    for username in ("yjj_admin", "swj_admin"):
        person = Person(browser, live_server, username)
        person.go(f"/campaigns/{campaign}/confirm")
        person.shot(f"05-confirm-{username}")
        person.page.click("button:has-text('其余全部确认')")
        assert f"已记录{drawn}户" in person.flash()

    # The teams are drawn, the joint record printed, the campaign dispatched.
    office.go(f"/campaigns/{campaign}")
    page.fill("#seed", "20261202")
    page.click("button:has-text('随机组队')")
    assert "联合检查组已随机组成" in office.flash()
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
    page.click("button:has-text('派发')")
    assert "已派发" in office.flash()

    # Results: each department enters its result on one enterprise's record; the lead department publishes it.
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
        person.page.click("button[value=submit]")
        assert "检查结果已提交" in person.flash()
    lead.go(record_url)
    lead.page.click("button:has-text('审核通过并公示')")
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
