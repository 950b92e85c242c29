"""Phone first: the pages an inspector, a department admin and the lead department use, at 390 × 844 in a real
Chromium: nothing wider than the screen, controls big enough for a thumb, the menu behind a button; result entry
with the camera, several photos and a draft kept on the phone. The same pages at 1440 px keep the menu on one row.

Screenshots go to test-artifacts/e2e/phone-*.png and desktop-*.png.
"""
from __future__ import annotations

import re
import struct
import zlib
from datetime import datetime

import pytest

from coordinator.states import RecordStatus
from tests.e2e.browsing import ARTIFACTS, PASSWORD, Person, serve_demo

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PHONE = {"width": 390, "height": 844}
THUMB = 44  # px: the smallest control a thumb hits reliably


def png(rgb: tuple[int, int, int], size: int = 48) -> bytes:
    """A small square photo of one colour (enough to see its thumbnail in the screenshots)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + bytes(rgb) * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def reopen_records():
    """The demo county's campaigns are finished or not drawn yet; for the pages of field work three records of
    the finished one are opened again: two wait for every department's part, one for the lead's review."""
    import sqlalchemy as sa

    from coordinator.extensions import db
    from coordinator.results.models import InspectionRecord
    from tests.e2e.test_field_browser import own_account

    records = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id).limit(3)).all()
    for record in records:
        record.status, record.published_at = RecordStatus.ENTERING, None
        record.reported_on, record.reported_by_id, record.notified_on = None, None, None  # no report yet either
        record.report_evaluation = record.report_handling = ""
        record.reschedule()
        for department_result in record.department_results:
            department_result.submitted_at = None
    records[2].status = RecordStatus.REVIEWING
    for department_result in records[2].department_results:
        department_result.submitted_at = datetime(2024, 6, 20, 16, 30)
    # An inspector of 市场监督管理局 on the second record's team gets its own account (as its admin would give it;
    # a name of its own: which inspectors the demo itself gives accounts to follows its draws).
    member = next(m for m in records[1].campaign_subject.active_members if m.department.code == "scj")
    own_account(member, "scj_field")
    db.session.commit()


def prepare_field_work():
    """The reopened records, and the own accounts of two inspectors on the first one's team: its 组长
    (yjj_leader) and a member of another department (field_member)."""
    from coordinator.extensions import db
    from coordinator.results.models import InspectionRecord
    from tests.e2e.test_field_browser import open_accounts

    reopen_records()
    open_accounts(db.session.get(InspectionRecord, 1))


@pytest.fixture(scope="module")
def server(app, tmp_path_factory):
    yield from serve_demo(app, tmp_path_factory.mktemp("phone"), prepare="tests.e2e.test_phone:prepare_field_work")


def on_phone(browser, server, username) -> Person:
    return Person(browser, server, username, phone=True)


# What a page must satisfy on a phone, measured in the page: [page wider than the screen, controls too small].
MEASURE = """(thumb) => {
  const small = [];
  const controls = document.querySelectorAll(
    'main button, main .btn, main input:not([type=hidden]), main select, main textarea, main .page-link, .navbar-toggler');
  for (const el of controls) {
    if (el.classList.contains('visually-hidden')) continue;
    let box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;  // not shown
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      const label = el.closest('.form-check, label');
      if (label) box = label.getBoundingClientRect();
    }
    const name = (el.name || el.textContent || '').trim().slice(0, 16);
    if (box.height < thumb - 0.5) small.push(`${el.tagName.toLowerCase()} ${name}: ${Math.round(box.height)}px`);
  }
  return [document.documentElement.scrollWidth > window.innerWidth ? document.documentElement.scrollWidth : 0, small];
}"""


def check_phone_page(person: Person, path: str, who: str) -> None:
    person.go(path)
    wide, small = person.page.evaluate(MEASURE, THUMB)
    person.shot(f"phone-{who}-{re.sub(r'[^0-9a-z]+', '_', path).strip('_') or 'workbench'}")
    assert person.page.evaluate("window.innerWidth") == PHONE["width"]
    assert not wide, f"{path} is {wide}px wide on a {PHONE['width']}px phone"
    assert not small, f"{path}: controls under {THUMB}px: {small}"


def first_link(person: Person, path: str, pattern: str) -> str:
    person.go(path)
    hrefs = person.page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))")
    return next(h for h in hrefs if re.fullmatch(pattern, h))


COMMON = ["/", "/results/", "/results/1", "/campaigns/", "/campaigns/1", "/campaigns/1/teams", "/campaigns/1/subjects",
          "/subjects", "/inspectors", "/items/", "/plans/", "/stats/", "/public/", "/public/results"]


def test_an_inspectors_pages_fit_a_phone(server, browser):
    officer = on_phone(browser, server, "scj_officer")
    record = first_link(officer, "/results/1", r"/campaigns/\d+/records/\d+")
    pages = COMMON + ["/results/1/entry", "/results/2/entry", record, first_link(officer, "/subjects", r"/subjects/\d+")]
    for path in pages:
        check_phone_page(officer, path, "officer")


def test_an_inspectors_own_account_fits_a_phone(server, browser):
    inspector = on_phone(browser, server, "scj_field")
    for path in ("/", "/tasks/", "/results/2", "/results/2/entry", "/public/"):
        check_phone_page(inspector, path, "inspector")


def test_a_department_admins_pages_fit_a_phone(server, browser):
    admin = on_phone(browser, server, "scj_admin")
    pages = COMMON + ["/conflicts", "/campaigns/2", "/campaigns/2/confirm", "/import/inspectors", "/experts",
                      "/experts/new", "/coverage/", "/plans/monthly", "/campaigns/new?kind=internal",
                      first_link(admin, "/inspectors", r"/inspectors/\d+"), first_link(admin, "/items/", r"/items/\d+"),
                      # a seed round taking commitments (the department's own form), one drawn, and the public record
                      first_link(admin, "/campaigns/2", r"/campaigns/2/rounds/\d+"),
                      first_link(admin, "/campaigns/1", r"/campaigns/1/rounds/\d+"), "/public/campaigns/1"]
    for path in pages:
        check_phone_page(admin, path, "admin")


def test_the_offices_annual_plan_fits_a_phone(server, browser):
    """The plan's task table holds a visually-hidden label per row: it escaped the table's scroll box and the
    phone laid the page out 1,560 px wide."""
    office = on_phone(browser, server, "office")
    for path in ("/plans/", first_link(office, "/plans/", r"/plans/\d+")):
        check_phone_page(office, path, "office")


def test_the_lead_departments_pages_fit_a_phone(server, browser):
    lead = on_phone(browser, server, "yjj_admin")
    pages = ["/", "/results/", "/results/3", "/results/1/entry", "/campaigns/1", "/campaigns/2", "/campaigns/1/teams"]
    for path in pages:
        check_phone_page(lead, path, "lead")
    lead.go("/results/3")  # awaiting review, no report yet: the report form, publication shown but not offered
    assert lead.page.locator("#report-form").is_visible()
    assert lead.page.locator("button:has-text('审核通过并公示')").is_disabled()


def test_the_inspectors_own_pages_fit_a_phone(server, browser):
    """An inspector's own account (issue 14): its task list and the records of its team, as 组长 and as member;
    the lead department's visit dates; a department admin making its inspectors' accounts."""
    leader = on_phone(browser, server, "yjj_leader")
    assert leader.page.url.endswith("/tasks/")
    for path in ("/tasks/", "/results/1", "/results/1/entry", "/results/1/notice"):
        check_phone_page(leader, path, "leader")
    member = on_phone(browser, server, "field_member")
    for path in ("/tasks/", "/results/1", "/results/1/entry"):
        check_phone_page(member, path, "member")
    assert member.page.goto(server + "/results/2").status == 403  # not its team
    check_phone_page(on_phone(browser, server, "yjj_admin"), "/campaigns/1/visits", "lead")
    check_phone_page(on_phone(browser, server, "scj_admin"), "/admin/inspector-accounts", "admin")


def test_the_public_pages_fit_a_phone(server, browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for path in ("/login", "/public/", "/public/items", "/public/campaigns", "/public/results"):
        page.goto(server + path)
        wide, small = page.evaluate(MEASURE, THUMB)
        page.screenshot(path=str(ARTIFACTS / f"phone-public-{path.strip('/').replace('/', '_') or 'index'}.png"),
                        full_page=True)
        assert page.evaluate("window.innerWidth") == PHONE["width"] and not wide, path
        assert not small, (path, small)
    context.close()


def test_the_menu_folds_on_a_phone_and_keeps_one_row_on_a_desktop(server, browser):
    office = Person(browser, server, "office")
    for width in (1024, 1440):
        office.page.set_viewport_size({"width": width, "height": 900})
        office.go("/")
        assert office.page.locator(".navbar-toggler").is_hidden()
        tops = office.page.eval_on_selector_all("#mainnav > .navbar-nav > .nav-item",
                                                "items => items.map(i => Math.round(i.getBoundingClientRect().top))")
        assert len(tops) == 7 and max(tops) - min(tops) < 10, (width, tops)  # six task groups and the user's menu
        assert office.page.evaluate("document.querySelector('.topbar').offsetHeight") < 80  # one row
        office.page.click("a.dropdown-toggle:has-text('名录库')")
        assert office.page.locator("a.dropdown-item:has-text('执法检查人员')").is_visible()
        office.shot(f"desktop-{width}-menu")
    office.page.set_viewport_size(PHONE)
    office.go("/")
    assert office.page.locator("#mainnav").is_hidden()
    office.page.click(".navbar-toggler")
    office.page.locator("#mainnav").wait_for(state="visible")
    office.page.click("a.dropdown-toggle:has-text('结果与统计')")
    office.page.locator("a.dropdown-item:has-text('统计报表')").wait_for(state="visible")
    office.shot("phone-office-menu")
    office.page.click("a.dropdown-item:has-text('统计报表')")
    office.page.wait_for_url(re.compile(r"/stats/"))


def test_results_are_entered_on_a_phone_with_photos_and_a_draft(server, browser):
    officer = on_phone(browser, server, "scj_officer")
    page = officer.page
    officer.go("/results/2/entry")
    camera = page.locator("input[type=file][capture=environment]")
    assert camera.get_attribute("accept") == "image/*" and camera.get_attribute("multiple") is not None
    album = page.locator("input[type=file][multiple]:not([capture])")
    colours = ((23, 105, 170), (197, 48, 48), (27, 127, 59))
    album.set_input_files([{"name": f"现场{n}.png", "mimeType": "image/png", "buffer": png(rgb)}
                           for n, rgb in enumerate(colours, 1)])
    assert page.locator("#photo-thumbs img").count() == 3  # seen before they are sent
    officer.shot("phone-entry-photos-chosen")
    officer.click_through("button:has-text('上传照片')")
    assert re.search(r"/results/2/entry", page.url)
    assert "3张照片已上传" in officer.flash()

    # Typed on site, then the connection drops: the text stays on the phone and sending waits for the network.
    description = page.locator("textarea[name^=description-]").first
    description.fill("灭火器压力不足，已当场告知")
    page.reload()
    assert description.input_value() == "灭火器压力不足，已当场告知"
    assert "已恢复本机" in page.locator("#draft-note").inner_text()
    officer.context.set_offline(True)
    page.click("button[value=submit]")
    page.locator("#offline-note").wait_for(state="visible")
    assert re.search(r"/results/2/entry", page.url)
    officer.shot("phone-entry-offline")
    officer.context.set_offline(False)

    # The session ran out meanwhile: sending is refused, and after logging in again the text is still there.
    officer.context.clear_cookies()
    page.click("button[value=submit]")
    page.wait_for_load_state()
    officer.go("/login")
    page.fill("#username", "scj_officer")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")
    officer.go("/results/2/entry")
    assert description.input_value() == "灭火器压力不足，已当场告知"

    # Back online: handed in, and the draft is forgotten.
    for select in page.locator("select[name^=result-]").all():
        select.select_option("未发现问题")
    page.locator("select[name^=result-]").first.select_option("发现问题已责令改正")
    page.locator("input[name^=problems-]").first.fill("1")
    page.get_by_label("无需后续处置").uncheck()
    page.get_by_label("责令改正", exact=True).check()
    page.fill("#rectify_by", "2024-07-31")
    page.click("button[value=submit]")
    page.wait_for_url(re.compile(r"/results/2(#.*)?$"))
    assert "检查结果已提交" in officer.flash()
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('联查通草稿'))") == []
    assert page.locator(".thumbs img").count() >= 3
    officer.shot("phone-entry-submitted")


def test_desktop_pages_keep_the_same_look(server, browser):
    for username, pages in (("scj_officer", ["/", "/results/", "/results/1/entry"]),
                            ("yjj_admin", ["/results/3", "/campaigns/1", "/subjects"]),
                            ("office", ["/", "/campaigns/new", "/stats/"])):
        person = Person(browser, server, username)
        person.page.set_viewport_size({"width": 1440, "height": 900})
        for path in pages:
            person.go(path)
            assert person.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
            person.shot(f"desktop-{username}-{re.sub(r'[^0-9a-z]+', '_', path).strip('_') or 'workbench'}")
