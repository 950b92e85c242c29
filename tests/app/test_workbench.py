"""The workbench: every role's to-dos are right, and every count on it opens the list it counts."""
from __future__ import annotations

import re

import pytest

from coordinator.extensions import db
from coordinator.states import RecordStatus
from tests.app.county import PASSWORD, build_county, drawn_campaign
from tests.app.stats_kit import dispatch, enter, records


@pytest.fixture
def county(ctx):
    return build_county(subjects=16)


@pytest.fixture
def dispatched(county):
    campaign = dispatch(drawn_campaign(county), county)
    return {"campaign": campaign, "records": records(campaign)}


def client_for(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code in (302, 303)
    return client


def rows(html: str) -> int:
    """The rows of the page's list of records (its last table; the due table comes first)."""
    body = html.rsplit("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return body.count("<tr>")


def link_to(html: str, text_pattern: str) -> str:
    match = re.search(r'<a href="([^"]+)"[^>]*>\s*' + text_pattern, html)
    assert match, text_pattern
    return match.group(1).replace("&amp;", "&")


def test_an_officer_sees_the_results_waiting_for_the_department_and_opens_exactly_them(app, county, dispatched):
    waiting = [r for r in dispatched["records"] if r.department_result(county["scj"].id)]
    html = client_for(app, "scj_officer").get("/").get_data(as_text=True)
    assert "当前没有待办" not in html
    url = link_to(html, f"录入{len(waiting)}户检查对象的检查结果")
    assert "todo=enter" in url
    listing = client_for(app, "scj_officer").get(url).get_data(as_text=True)
    assert rows(listing) == len(waiting) and "只显示：<strong>待录入检查结果</strong>" in listing
    assert "查看逾期未录入的记录" in html  # the demo year's visits are long past: all overdue


def test_no_link_to_overdue_results_when_none_is_overdue(app, county, dispatched, monkeypatch):
    from datetime import timedelta

    from coordinator.results import services as results
    first_due = min(r.due_on for r in dispatched["records"])
    monkeypatch.setattr(results, "today", lambda: first_due - timedelta(days=1))
    html = client_for(app, "scj_officer").get("/").get_data(as_text=True)
    assert "检查结果与后续处置" in html and "查看逾期未录入的记录" not in html


def test_the_lead_department_is_asked_to_review_what_waits_for_it(app, county, dispatched):
    record = next(r for r in dispatched["records"] if len(r.department_results) == 2)
    enter(record, county, "yjj")
    enter(record, county, "scj")
    db.session.commit()
    assert record.status == RecordStatus.REVIEWING
    lead = client_for(app, "yjj_admin")
    html = lead.get("/").get_data(as_text=True)
    url = link_to(html, "审核并公示1条")
    listing = lead.get(url).get_data(as_text=True)
    assert rows(listing) == 1 and record.campaign_subject.subject.name in listing
    # the partner department has nothing to review: its result is in, the review is the lead's
    assert "审核并公示" not in client_for(app, "scj_admin").get("/").get_data(as_text=True)


def test_every_count_of_the_offices_due_table_links_to_its_list(app, county, dispatched):
    office = client_for(app, "office")
    html = office.get("/").get_data(as_text=True)
    table = html.split("检查结果与后续处置", 1)[1]
    counted = re.findall(r'<td class="num"><a href="([^"]+)"[^>]*>(\d+)</a>', table)
    assert counted, "the counts are links"
    for url, number in counted:
        assert rows(office.get(url.replace("&amp;", "&")).get_data(as_text=True)) == int(number), url


@pytest.mark.parametrize(("username", "targets"), [
    ("office", ["/subjects", "/inspectors", "/items/", "/conflicts"]),
    ("yjj_officer", ["/subjects", "/inspectors", "/items/"]),
])
def test_the_directory_counts_open_their_lists(app, county, username, targets):
    client = client_for(app, username)
    html = client.get("/").get_data(as_text=True)
    tiles = re.findall(r'<a class="stat" href="([^"?]+)', html)
    assert tiles == targets
    for url in tiles:
        assert client.get(url).status_code == 200


def test_a_record_published_without_its_report_still_owes_it(app, county, dispatched):
    """Records published before publication required the report (older data) stay in 待形成检查报告 until
    it is written, and their page still offers the report form."""
    from coordinator.timeutil import now

    record = next(r for r in dispatched["records"] if len(r.department_results) == 2)
    enter(record, county, "yjj")
    enter(record, county, "scj")
    record.status, record.published_at = RecordStatus.PUBLISHED, now()  # as the old code let it be published
    db.session.commit()
    lead = client_for(app, "yjj_admin")
    owed = len([r for r in dispatched["records"] if r.reported_on is None])
    html = lead.get("/").get_data(as_text=True)
    listing = lead.get(link_to(html, f"形成{owed}户的检查报告")).get_data(as_text=True)
    assert rows(listing) == owed and record.campaign_subject.subject.name in listing
    page = lead.get(f"/results/{record.id}").get_data(as_text=True)
    assert 'id="report-form"' in page and "已公示，但尚未形成检查报告" in page
    lead.post(f"/results/{record.id}/report", data={"evaluation": "未发现问题", "handling": "无需后续处置"})
    db.session.expire_all()
    assert record.reported_on is not None
    html = lead.get("/").get_data(as_text=True)
    assert f"形成{owed - 1}户的检查报告" in html
    assert 'id="report-form"' not in lead.get(f"/results/{record.id}").get_data(as_text=True)
