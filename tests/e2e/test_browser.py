"""The whole campaign in a real browser (Debian's Chromium driven by Playwright), as the people who do each step.

Screenshots of every main page go to test-artifacts/e2e/.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import empty_database_like

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "Demo2024"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(app, tmp_path_factory):
    """The production server as the README runs it (gunicorn, two worker processes) on loopback, on its own
    database holding the demo county: consecutive clicks land in either process."""
    tmp = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "DATABASE_URL": empty_database_like(app, tmp, "liancha_e2e"), "SECRET_KEY": "e2e",
           "ATTACHMENT_FOLDER": str(tmp / "attachments")}
    flask = [sys.executable, "-m", "flask", "--app", "coordinator"]
    subprocess.run([*flask, "init-db"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([*flask, "seed-demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    port = _free_port()
    log = (tmp / "server.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                               "--threads", "4", "coordinator:create_app()"],
                              env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield base
    server.terminate()
    server.wait(timeout=10)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


class Person:
    """One user in their own browser context, logged in."""

    def __init__(self, browser, base: str, username: str):
        self.context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                           accept_downloads=True)
        self.page = self.context.new_page()
        self.page.on("dialog", lambda dialog: dialog.accept())  # the "are you sure?" confirmations
        self.base, self.username = base, username
        self.go("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{base}/")

    def go(self, path: str):
        response = self.page.goto(self.base + path)
        assert response.status < 400, (path, response.status)
        return response

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def flash(self) -> str:
        return " ".join(self.page.locator(".flash").all_inner_texts())


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
