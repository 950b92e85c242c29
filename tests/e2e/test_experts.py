"""The expert pool's pages in a real Chromium at 1440 px and 390 × 844: the pool, a campaign's experts page with
who must avoid whom, and the drawn expert on the 一企一表. Screenshots: test-artifacts/e2e/experts-*.png."""
from __future__ import annotations

import pytest

from tests.e2e.browsing import Person, serve_demo
from tests.e2e.test_phone import check_phone_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]
INDUSTRY = "烟花爆竹"


def prepare_experts():
    """Eight experts (one inside 应急管理局, one working at a drawn enterprise), and experts drawn for the demo's
    烟花爆竹 enterprises of campaign 1 by a recorded fallback round (the campaign is reopened for the draw)."""
    from coordinator.auth.models import User
    from coordinator.campaigns.models import Campaign
    from coordinator.draws import services as rounds
    from coordinator.experts import services as experts
    from coordinator.experts.models import Expert
    from coordinator.extensions import db
    from coordinator.states import CampaignStatus, DrawKind

    campaign = db.session.get(Campaign, 1)
    office = db.session.query(User).filter_by(username="office").one()
    fireworks = [cs for cs in campaign.subjects if cs.subject.industry == INDUSTRY]
    for n in range(1, 9):
        db.session.add(Expert(code=f"ZJ{n:03d}", name=f"专家{n}号", employer="市安全生产协会" if n != 2 else
                              fireworks[0].subject.name, department_id=1 if n == 1 else None,
                              specialties=[INDUSTRY, "危险化学品"] if n % 2 else [INDUSTRY],
                              conflicts=[fireworks[1].subject.credit_code] if n == 3 else []))
    status, campaign.status = campaign.status, CampaignStatus.DISPATCHED
    experts.set_industries(campaign, [INDUSTRY, "危险化学品"])
    round_ = rounds.open_fallback(campaign, DrawKind.EXPERTS, office, fallback_reason="演示：见证人报出种子",
                                  witness="演示见证人")
    rounds.run_round(round_, office, "专家演示种子")
    campaign.expert_industries = [INDUSTRY, "危险化学品", "成品油"]  # one more, still to draw
    campaign.status = status
    db.session.commit()


@pytest.fixture(scope="module")
def server(app, tmp_path_factory):
    yield from serve_demo(app, tmp_path_factory.mktemp("experts"), prepare="tests.e2e.test_experts:prepare_experts")


def test_the_expert_pages_at_1440(server, browser):
    office = Person(browser, server, "office", width=1440)
    office.go("/experts")
    assert "专家1号" in office.page.inner_text("main")
    office.shot("experts-desktop-pool")
    office.go("/campaigns/1/experts")
    text = office.page.inner_text("main")
    assert "已抽取的专家" in text and "待抽取专家" in text
    office.shot("experts-desktop-campaign")
    officer = Person(browser, server, "yjj_officer", width=1440)
    officer.go("/campaigns/1/experts")
    officer.click_through(officer.page.locator("main a[href*='/campaigns/1/records/']").first)  # the drawn one's 一企一表
    assert "随同检查专家" in officer.page.inner_text("main")
    officer.shot("experts-desktop-record")


def test_the_expert_pages_fit_a_phone(server, browser):
    admin = Person(browser, server, "yjj_admin", phone=True)
    for path in ("/experts", "/campaigns/1/experts", "/import/experts"):
        check_phone_page(admin, path, "experts-admin")
