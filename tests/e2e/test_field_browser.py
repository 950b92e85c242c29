"""Field work in a real Chromium (issue 14): the inspector's task list, the 组长's joint record, the lead
department's visit dates and deadlines, at 1440 px; the phone-width checks are in test_phone.py.

Screenshots go to test-artifacts/e2e/field-*.png.
"""
from __future__ import annotations

import pytest

from tests.e2e.browsing import PASSWORD, Person, serve_demo

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DESKTOP = {"width": 1440, "height": 900}


def open_accounts(record) -> None:
    """Own accounts (password Demo2024, already changed) for the 组长 of `record`'s team (yjj_leader) and a member
    of another department (field_member)."""
    from coordinator.extensions import db

    cs = record.campaign_subject
    leader = cs.leader
    member = next(m for m in cs.active_members if m.department_id != leader.department_id)
    for username, seat in (("yjj_leader", leader), ("field_member", member)):
        own_account(seat, username)
    db.session.commit()


def own_account(seat, username: str) -> None:
    """The seat's inspector's own account under `username` (password Demo2024, already changed); the demo may
    already have opened one for this inspector (one per inspector): it is taken over."""
    import sqlalchemy as sa

    from coordinator.auth.models import User
    from coordinator.extensions import db

    user = db.session.scalar(sa.select(User).where(User.inspector_id == seat.inspector_id))
    if user is None:
        user = User(role="inspector", department_id=seat.department_id, inspector_id=seat.inspector_id)
        db.session.add(user)
    user.username, user.display_name, user.must_change_password = username, seat.inspector.name, False
    user.set_password(PASSWORD)
    db.session.flush()


def prepare() -> None:
    """As for the phone checks; and the demo's finished campaign back in its visits with its window running
    into next month, record 1's visit a week ahead, its date not yet agreed by the lead department."""
    from datetime import timedelta

    from coordinator.campaigns.models import Campaign
    from coordinator.extensions import db
    from coordinator.results.models import InspectionRecord
    from coordinator.timeutil import today
    from tests.e2e.test_phone import prepare_field_work

    prepare_field_work()
    campaign = db.session.get(Campaign, 1)
    campaign.status, campaign.visit_end = "dispatched", today() + timedelta(days=40)
    record = db.session.get(InspectionRecord, 1)
    record.inspected_on = None
    record.campaign_subject.visit_date = next(today() + timedelta(days=k) for k in range(7, 14)
                                              if (today() + timedelta(days=k)).weekday() < 5)
    record.reschedule()
    db.session.commit()


@pytest.fixture(scope="module")
def server(app, tmp_path_factory):
    yield from serve_demo(app, tmp_path_factory.mktemp("field"), prepare="tests.e2e.test_field_browser:prepare")


def test_the_field_pages_at_1440(server, browser):
    leader = Person(browser, server, "yjj_leader")
    leader.page.set_viewport_size(DESKTOP)
    leader.go("/tasks/")
    assert leader.page.locator("h1:has-text('我的检查任务')").is_visible()
    assert leader.page.locator("#mainnav a.nav-link:has-text('我的检查任务')").is_visible()
    assert leader.page.locator(".badge:has-text('组长')").first.is_visible()
    leader.shot("field-1440-leader-tasks")
    leader.go("/results/1")
    assert leader.page.locator("text=尚未提交本部门结果").is_visible()
    leader.shot("field-1440-leader-record")
    leader.go("/results/1/notice")
    leader.shot("field-1440-leader-notice")

    lead = Person(browser, server, "yjj_admin")
    lead.page.set_viewport_size(DESKTOP)
    lead.go("/")
    lead.shot("field-1440-lead-workbench")
    assert lead.page.locator("a:has-text('的检查报告')").count() >= 1
    lead.go("/campaigns/1/visits")
    lead.shot("field-1440-lead-visits")
    # Record 1's visit moved a day later: checked against the team, recorded, and its member told.
    # The one visit still ahead (the others are 2024's, past the window's first open day).
    index = lead.page.evaluate("""() => [...document.querySelectorAll('input[name=visit_date]')]
        .findIndex(i => i.value && i.value >= i.min)""")
    form = lead.page.locator("form:has(input[name=visit_date])").nth(index)
    planned = form.locator("input[name=visit_date]").input_value()
    later = lead.page.evaluate("""(d) => { const t = new Date(d + 'T12:00:00Z');
        do { t.setUTCDate(t.getUTCDate() + 1); } while ([0, 6].includes(t.getUTCDay()));
        return t.toISOString().slice(0, 10); }""", planned)
    form.locator("input[name=visit_date]").fill(later)
    lead.click_through(form.locator("button[type=submit]"))
    assert "检查日期已改为" in lead.flash(), lead.flash()
    lead.shot("field-1440-lead-visit-moved")
    member = Person(browser, server, "field_member")
    member.page.set_viewport_size(DESKTOP)
    member.go("/tasks/")
    assert member.page.locator(f".badge:has-text('已改期，原定 {planned}')").is_visible()
    member.shot("field-1440-member-tasks")

    admin = Person(browser, server, "scj_admin")
    admin.page.set_viewport_size(DESKTOP)
    admin.go("/admin/inspector-accounts")
    admin.page.locator("input[name=inspector]").first.check()
    admin.page.locator("input[name=inspector]").nth(1).check()
    admin.click_through("button:has-text('为所选人员开通账号')")
    assert admin.page.locator("table.issued tbody tr").count() == 2
    admin.shot("field-1440-admin-accounts")
