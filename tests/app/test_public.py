"""Public pages: readable without logging in, and showing nothing the public may not see."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from coordinator.auth.models import User
from coordinator.directories.models import Inspector, Subject
from coordinator.extensions import db
from coordinator.items.models import Item
from coordinator.public import routes as public_routes
from coordinator.public import services as public
from coordinator.states import DrawnStatus
from coordinator.timeutil import today
from tests.app.county import build_county, campaign_values, drawn_campaign, report_and_publish
from tests.app.stats_kit import dispatch, enter, records

PAGES = ("/public/", "/public/items", "/public/campaigns", "/public/results")


@pytest.fixture
def county(ctx):
    return build_county(subjects=16)


@pytest.fixture
def anonymous(app):
    return app.test_client()


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def every_public_page(client, campaign_ids=()) -> str:
    pages = [*PAGES, *(f"/public/campaigns/{cid}" for cid in campaign_ids)]
    return "\n".join(text(client.get(url)) for url in pages)


def secrets_in_the_database() -> list[str]:
    """Everything that identifies a person: inspectors, accounts, enterprise contacts."""
    values = []
    for inspector in db.session.scalars(sa.select(Inspector)):
        values += [inspector.name, inspector.cert_no, inspector.mobile]
    for user in db.session.scalars(sa.select(User)):
        values += [user.username, user.display_name]
    for subject in db.session.scalars(sa.select(Subject)):
        values += [subject.legal_rep, subject.legal_rep_phone, subject.safety_manager, subject.safety_manager_phone]
    return [v for v in values if v]


def test_the_public_pages_need_no_log_in(anonymous, county):
    for url in PAGES:
        response = anonymous.get(url)
        assert response.status_code == 200, url
    assert "工作人员登录" in text(anonymous.get("/public/"))
    assert "/public/" in text(anonymous.get("/login"))  # the log-in page points the public here


def test_a_dispatched_plan_shows_its_enterprises_but_no_person(anonymous, county):
    subject = db.session.scalar(sa.select(Subject).order_by(Subject.id))
    subject.legal_rep, subject.legal_rep_phone = "王法人", "13912345678"
    subject.safety_manager, subject.safety_manager_phone = "赵安全", "13987654321"
    campaign = dispatch(drawn_campaign(county), county)
    db.session.commit()
    assert any(cs.active_members for cs in campaign.subjects)  # the teams, with names, exist

    page = text(anonymous.get(f"/public/campaigns/{campaign.id}"))
    assert campaign.name in page and "应急管理局" in page and "登记事项检查" in page
    drawn = [cs.subject for cs in campaign.subjects if cs.status == DrawnStatus.ACTIVE]
    assert all(s.name in page and s.credit_code in page for s in drawn)
    everything = every_public_page(anonymous, [campaign.id])
    leaked = [value for value in secrets_in_the_database() if value in everything]
    assert leaked == []


def test_a_plan_before_its_draw_names_no_enterprise(anonymous, county):
    from coordinator.campaigns import services as campaigns

    office = county["users"]["office"]
    campaign = campaigns.create_campaign(campaign_values(name="征集中的联合抽查"), county["yjj"], [county["scj"]], office)
    db.session.commit()
    page = text(anonymous.get(f"/public/campaigns/{campaign.id}"))
    assert "征集中的联合抽查" in page and "尚未抽取" in page
    assert not any(s.name in page for s in db.session.scalars(sa.select(Subject)))


def test_a_covert_campaign_stays_hidden_until_it_ends(anonymous, county, monkeypatch):
    end = today() + timedelta(days=30)
    campaign = dispatch(drawn_campaign(county, name="暗查暗访专项", covert=True, period_end=end), county)
    record = records(campaign)[0]
    for code in ("yjj", "scj"):
        enter(record, county, code)
    report_and_publish(record, county["users"]["office"])
    db.session.commit()
    name = record.campaign_subject.subject.name

    everything = every_public_page(anonymous)
    assert "暗查暗访专项" not in everything and name not in everything
    assert anonymous.get(f"/public/campaigns/{campaign.id}").status_code == 404
    assert "没有找到" in text(anonymous.get("/public/results", query_string={"q": name}))

    monkeypatch.setattr(public, "today", lambda: end)  # its last day: still running
    assert anonymous.get(f"/public/campaigns/{campaign.id}").status_code == 404
    monkeypatch.setattr(public, "today", lambda: end + timedelta(days=1))
    assert "暗查暗访专项" in text(anonymous.get("/public/campaigns"))
    page = text(anonymous.get(f"/public/campaigns/{campaign.id}"))
    assert "暗查暗访专项" in page and name in page
    assert name in text(anonymous.get("/public/results"))
    leaked = [v for v in secrets_in_the_database() if v in every_public_page(anonymous, [campaign.id])]
    assert leaked == []


def test_only_published_results_are_shown_and_can_be_searched(anonymous, county, monkeypatch):
    campaign = dispatch(drawn_campaign(county), county)
    first, second, third, waiting = records(campaign)[:4]
    office = county["users"]["office"]
    enter(first, county, "yjj", "发现问题已责令改正", 2, ("责令改正", "行政指导"))
    enter(first, county, "scj")
    for record in (second, third):
        enter(record, county, "yjj")
        enter(record, county, "scj")
    for record in (first, second, third):
        report_and_publish(record, office)
    enter(waiting, county, "yjj")
    enter(waiting, county, "scj", "发现问题待后续处理", 1, ("立案调查",))  # complete, awaiting review
    db.session.commit()
    subject = first.campaign_subject.subject

    page = text(anonymous.get("/public/results"))
    assert all(r.campaign_subject.subject.name in page for r in (first, second, third))
    assert waiting.campaign_subject.subject.name not in page
    assert "发现问题已责令改正" in page and "责令改正、行政指导" in page
    assert "安全管理制度未及时修订" not in page  # the problem description is not published

    by_name = text(anonymous.get("/public/results", query_string={"q": subject.name[-6:]}))
    assert subject.name in by_name
    by_code = text(anonymous.get("/public/results", query_string={"q": subject.credit_code.lower()}))
    assert subject.name in by_code and second.campaign_subject.subject.name not in by_code
    assert "没有找到" in text(anonymous.get("/public/results", query_string={"q": "不存在的单位"}))

    monkeypatch.setattr(public_routes, "PAGE_SIZE", 2)
    page_one = text(anonymous.get("/public/results"))
    page_two = text(anonymous.get("/public/results", query_string={"page": 2}))
    assert "共 3 条，第 1 / 2 页" in page_one and "共 3 条，第 2 / 2 页" in page_two
    shown = [r.campaign_subject.subject.name for r in (first, second, third)]
    assert {n for n in shown if n in page_one} | {n for n in shown if n in page_two} == set(shown)
    assert not {n for n in shown if n in page_one} & {n for n in shown if n in page_two}


def test_item_lists_show_active_items_per_department(anonymous, county):
    stopped = db.session.scalar(sa.select(Item).where(Item.code == "YJJ-002"))
    stopped.active = False
    db.session.commit()
    page = text(anonymous.get("/public/items"))
    assert "危险化学品企业安全检查" in page and "登记事项检查" in page and "工贸企业安全检查" not in page
    only_scj = text(anonymous.get("/public/items", query_string={"department": county["scj"].id}))
    assert "登记事项检查" in only_scj and "危险化学品企业安全检查" not in only_scj


def test_signed_in_staff_see_the_same_public_pages(app, county):
    client = app.test_client()
    assert client.post("/login", data={"username": "yjj_officer", "password": "Passw0rd1"}).status_code in (302, 303)
    assert "抽查结果公示" in text(client.get("/public/results"))


def test_public_visibility_rule(county):
    campaign = drawn_campaign(county, covert=True, period_end=date(2024, 7, 31))
    assert public.is_visible(campaign, on=date(2024, 8, 1))
    assert not public.is_visible(campaign, on=date(2024, 7, 31))
    campaign.covert = False
    assert public.is_visible(campaign, on=date(2024, 6, 1))
