"""Follow-ups to closure in a real Chromium, at 1440 px and on a 390 × 844 phone: the department's overdue list,
a step taken with its question first, a transfer answered from the receiving department's queue, 行政处罚 on the
dashboard. Screenshots: test-artifacts/e2e/followups-*.png."""
from __future__ import annotations

import re

import pytest

from tests.e2e.browsing import Person, serve_demo
from tests.e2e.test_phone import check_phone_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(app, tmp_path_factory):
    yield from serve_demo(app, tmp_path_factory.mktemp("followups"))


def first_follow_up(person: Person, path: str) -> str:
    person.go(path)
    hrefs = person.page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))")
    return next(h for h in hrefs if re.fullmatch(r"/follow-ups/\d+", h))


def test_a_department_works_its_overdue_follow_ups_at_1440(server, browser):
    officer = Person(browser, server, "yjj_officer", width=1440)
    officer.go("/")
    assert "项后续处置已逾期" in officer.page.inner_text("main")
    officer.shot("followups-desktop-workbench")
    officer.go("/follow-ups/?view=overdue")
    assert officer.page.locator("main .tag.bad").count() > 0
    officer.shot("followups-desktop-overdue")
    detail = first_follow_up(officer, "/follow-ups/?view=overdue")
    officer.go(detail)
    officer.shot("followups-desktop-detail")
    form = officer.page.locator("main form[data-confirm]").first
    step = form.locator("input[name=step]").get_attribute("value")
    if step == "recheck":
        form.locator("input[name=passed][value='1']").check()
    elif step == "file":
        form.locator("input[name=case_number]").fill("立〔2024〕99号")
    elif step in ("decide",):
        form.locator("select[name=outcome]").select_option("penalty")
        form.locator("input[name=penalty]").fill("3000")
    elif step == "conclude":
        form.locator("textarea[name=note]").fill("已处理")
    officer.click_through(form.locator("button[type=submit]"))  # the dialog (irreversible step) is accepted by Person
    assert "不能" not in officer.flash() and officer.flash(), officer.flash()
    officer.shot("followups-desktop-after-step")


def test_the_receiving_department_answers_a_transfer(server, browser):
    receiver = Person(browser, server, "hbj_officer", width=1440)
    receiver.go("/")
    assert "其他部门移送的案件" in receiver.page.inner_text("main")
    detail = first_follow_up(receiver, "/follow-ups/?view=incoming&status=sent")
    receiver.go(detail)
    receiver.page.locator("input[name=accept][value='1']").check()
    receiver.click_through("main form[data-confirm] button[type=submit]")
    assert "已接收移送" in receiver.flash()
    receiver.shot("followups-desktop-transfer-accepted")


def test_follow_up_pages_fit_a_phone(server, browser):
    officer = Person(browser, server, "yjj_officer", phone=True)
    pages = ["/follow-ups/", "/follow-ups/?view=overdue", "/follow-ups/?view=all"]
    pages.append(first_follow_up(officer, "/follow-ups/?view=overdue"))
    for path in pages:
        check_phone_page(officer, path, "followups-officer")
    receiver = Person(browser, server, "hbj_admin", phone=True)
    for path in ("/follow-ups/?view=incoming", first_follow_up(receiver, "/follow-ups/?view=incoming")):
        check_phone_page(receiver, path, "followups-receiver")


def test_the_dashboard_reports_penalties(server, browser):
    office = Person(browser, server, "office", width=1440)
    office.go("/stats/dashboard?year=2024")
    assert "行政处罚（件）" in office.page.inner_text("main")
    office.shot("followups-desktop-dashboard")
