"""Security: response headers and no inline script, cookies and session lifetime, escaped user text on every
page, neutralised spreadsheet formulas, and the log-in throttle and password policy where test_auth stops."""
from __future__ import annotations

import contextvars
import re
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner

from coordinator import config
from coordinator.auth.models import User
from coordinator.campaigns import services as campaigns
from coordinator.coverage.models import CoverageRule
from coordinator.directories.importers import SubjectImporter
from coordinator.directories.models import Conflict, Inspector, Subject
from coordinator.draws import services as rounds
from coordinator.excel.importing import run_import
from coordinator.exchange.services import issue_client
from coordinator.experts.models import Expert
from coordinator.extensions import db
from coordinator.followups.models import FollowUp
from coordinator.imports.routes import KINDS
from coordinator.items.models import Item
from coordinator.plans import services as plans
from coordinator.plans.models import MonthlyPlan, MonthlyPlanEntry
from coordinator.results import services as results
from coordinator.results.models import Attachment, InspectionRecord
from coordinator.states import Decision
from tests.app.county import build_county, campaign_values, credit_code, drawn_campaign, report_and_publish
from tests.conftest import PASSWORD, login

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
ROOT = Path(__file__).resolve().parents[2]
PARAMETER = re.compile(r"<(?:[^:<>]+:)?(\w+)>")


class OwnContextClient(FlaskClient):
    """Runs every request in a fresh app context, as a server does: one request's session never leaks into the next."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def build_world(text: str = XSS) -> dict:
    """The test county with `text` wherever a user types: names of a department, user, enterprise, inspector,
    item, campaign and plan, a seed and witness, reasons, a result, a photo's file name. One campaign is
    dispatched with one record published, one drawn, one still collecting items. Returns an id for every
    URL parameter of the app."""
    county = build_county()
    users = county["users"]
    office, yjj, scj = users["office"], county["yjj"], county["scj"]
    scj.name = text
    office.display_name = text
    users["yjj_admin"].display_name = text
    subjects = db.session.scalars(sa.select(Subject).order_by(Subject.id)).all()
    for subject in subjects[:6]:
        subject.name = text
    subjects[0].address = subjects[0].note = text
    for inspector in db.session.scalars(sa.select(Inspector).where(Inspector.cert_no.in_(["139901000", "139902000"]))):
        inspector.name = inspector.note = text
    item = db.session.scalar(sa.select(Item).where(Item.code == "YJJ-001"))
    item.name = item.content = item.basis = text
    db.session.commit()

    campaign = drawn_campaign(county, name=text)
    for cd in campaign.departments:
        pending = campaigns.pending_confirmations(campaign, cd.department_id)
        campaigns.confirm(campaign, cd.department_id, {cs.id: (Decision.CONFIRMED, "") for cs in pending}, office)
    rounds.run_round(rounds.open_fallback(campaign, "teams", office, fallback_reason=text, witness=text), office, text)
    db.session.commit()
    staffed = [cs for cs in campaign.subjects if cs.active_members]
    member = staffed[1].active_members[0]
    campaigns.recuse(campaign, member, text, office)
    campaigns.dispatch(campaign)
    leaving = staffed[3].active_members[0]
    campaigns.withdraw(campaign, leaving, text, office)
    reseat = rounds.open_round(campaign, "reseat", office, target_id=leaving.id, reason=text, witness=text)
    db.session.commit()

    record = db.session.scalar(sa.select(InspectionRecord).where(InspectionRecord.campaign_subject_id == staffed[0].id))
    for department_result in record.department_results:
        items = [results.ItemEntry(ci.id, "发现问题已责令改正", 1, text) for ci in results.items_for(department_result)]
        lead = department_result.department_id == campaign.lead_department_id
        entry = results.ResultEntry(items=items, follow_ups=["责令改正"], note=text, rectify_by=date(2024, 7, 31),
                                  inspected_on=date(2024, 6, 12) if lead else None, signed=True if lead else None)
        results.save_department_result(record, department_result.department_id, entry, office, submit=True)
    report_and_publish(record, office)
    attachment = Attachment(department_result=record.department_results[0], filename=f"{text}.png", stored_as="missing.png",
                            uploaded_by_id=office.id)
    db.session.add(attachment)

    drawn = drawn_campaign(county, seed="43", name=f"{text}（二）", burden_months=0)
    collecting = campaigns.create_campaign(campaign_values(name=f"{text}（三）"), yjj, [scj], office)
    inspector = db.session.scalar(sa.select(Inspector).where(Inspector.cert_no == "139901000"))
    conflict = Conflict(inspector=inspector, subject=subjects[10], reason=text)
    plan = plans.create_plan(2024, yjj, "河清县")
    db.session.add(conflict)
    db.session.flush()
    task = plans.add_task(plan, {"name": text, "task_type": "定向", "ratio": text, "items": text, "scope": text,
                                 "start_month": "2024-05", "end_month": "2024-07"}, [scj.id])
    client, _token = issue_client(text, users["office"])
    rule = CoverageRule(department_id=yjj.id, name=text, category="一般单位", ratio=0.2)
    month_plan = MonthlyPlan(department_id=yjj.id, month="2024-06", entries=[
        MonthlyPlanEntry(subject=subjects[0], reason=text, due_on=date(2024, 6, 28))])
    expert = Expert(code="ZJ001", name=text, employer=text, department_id=yjj.id, specialties=[text])
    db.session.add_all([rule, month_plan, expert])
    db.session.commit()
    return {
        "rule_id": rule.id, "expert_id": expert.id, "credit_code": subjects[0].credit_code,
        "follow_up_id": db.session.scalar(sa.select(FollowUp.id).limit(1)),
        "monthly_id": month_plan.id, "entry_id": month_plan.entries[0].id,
        "subject_id": subjects[0].id, "inspector_id": inspector.id, "item_id": item.id, "department_id": scj.id,
        "user_id": users["yjj_admin"].id, "campaign_id": campaign.id, "cs_id": staffed[0].id,
        "draw_id": campaign.subjects[0].draw_id, "plan_id": plan.id, "record_id": record.id,
        "attachment_id": attachment.id, "member_id": staffed[2].active_members[0].id,
        "department_result_id": record.department_results[0].id, "conflict_id": conflict.id, "drawn_campaign_id": drawn.id,
        "drawn_cs_id": drawn.subjects[0].id, "collecting_campaign_id": collecting.id,
        "other_record_id": db.session.scalar(sa.select(InspectionRecord.id).where(InspectionRecord.id != record.id)
                                             .limit(1)),
        "yjj_id": yjj.id, "hbj_id": county["hbj"].id, "scj_officer_id": users["scj_officer"].id,
        "client_id": client.id,
        "round_id": reseat.id, "task_id": task.id,
    }


def urls_for(app, method: str, ids: dict) -> list[str]:
    """Every route of the app taking `method`, with its parameters filled from `ids` (every import kind)."""
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if method not in rule.methods or rule.endpoint == "static":
            continue
        missing = set(PARAMETER.findall(rule.rule)) - set(ids) - {"kind_name"}
        assert not missing, f"{rule.rule}: give build_world a real id for {sorted(missing)}"
        for kind in (KINDS if "<kind_name>" in rule.rule else [None]):
            values = {**ids, "kind_name": kind}
            urls.append(PARAMETER.sub(lambda m, values=values: str(values[m.group(1)]), rule.rule))
    return urls


# ---- headers, inline script ----------------------------------------------------------------------


def _csp(response) -> dict[str, list[str]]:
    directives = [d.strip().split() for d in response.headers["Content-Security-Policy"].split(";")]
    return {d[0]: d[1:] for d in directives if d}


def test_every_response_carries_the_security_headers(app, client, as_role):
    anonymous = [client.get("/login"), client.get("/public/"), client.get("/static/js/app.js"), client.get("/")]
    as_role("office")
    signed_in = [client.get("/subjects"), client.get("/no-such-page"), client.get("/items/export")]
    for response in anonymous + signed_in:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
        csp = _csp(response)
        assert csp["script-src"] == ["'self'"]
        assert csp["img-src"] == ["'self'", "data:", "blob:"]  # Bootstrap's drawn icons; photo previews
        assert csp["style-src"] == ["'self'", "'unsafe-inline'"]  # style attributes in the templates
        assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
        assert csp["frame-ancestors"] == ["'none'"]
        assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
        response.close()  # the static file's handle
    assert signed_in[1].status_code == 404 and anonymous[3].status_code in (302, 303)


def test_no_template_runs_inline_script():
    """With script-src 'self', inline handlers and javascript: links would silently stop working."""
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+\s*=", text, re.IGNORECASE), path
        assert "javascript:" not in text.lower(), path
        for tag in re.findall(r"<script\b[^>]*>", text, re.IGNORECASE):
            # an external file, or a JSON data island (never executed)
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
    script = (ROOT / "coordinator/static/js/app.js").read_text(encoding="utf-8")
    for hook in ("data-print", "data-back", "data-autosubmit"):
        assert hook in script


def test_print_and_year_buttons_use_data_attributes(client, ctx):
    ids = build_world(text="测试")
    login(client, "office")
    record = client.get(f"/campaigns/{ids['campaign_id']}/records/{ids['cs_id']}").get_data(as_text=True)
    assert "data-print" in record and "onclick" not in record
    assert 'name="year" data-autosubmit' in client.get("/plans/").get_data(as_text=True)
    assert "data-back" in client.get("/no-such-page").get_data(as_text=True)


# ---- cookies and session lifetime -----------------------------------------------------------------


def test_cookie_flags_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    settings = config.from_environment(str(tmp_path))
    assert settings["SESSION_COOKIE_HTTPONLY"] and settings["REMEMBER_COOKIE_HTTPONLY"]
    assert settings["SESSION_COOKIE_SAMESITE"] == settings["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert not settings["SESSION_COOKIE_SECURE"] and not settings["REMEMBER_COOKIE_SECURE"]
    assert settings["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    assert settings["REMEMBER_COOKIE_DURATION"] == timedelta(days=7)
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    settings = config.from_environment(str(tmp_path))
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]


def test_log_in_sets_http_only_same_site_cookies(client, make_user):
    user = make_user("officer", "yjj")
    response = client.post("/login", data={"username": user.username, "password": PASSWORD, "remember": "y"})
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name], cookies[name]
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookies["remember_token"]).group(1))
    assert expires - datetime.now(UTC) <= timedelta(days=7)


def test_a_session_signed_more_than_eight_hours_ago_is_refused(client, make_user, monkeypatch):
    login(client, make_user("officer", "yjj").username)
    client.get("/")  # the first page stores the CSRF secret: the cookie's last signing
    start = int(time.time())

    def at(hours: float) -> None:
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: start + int(hours * 3600))

    at(7.9)
    assert client.get("/").status_code == 200
    at(8.1)
    response = client.get("/")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


# ---- exports ---------------------------------------------------------------------------------------


def test_exported_text_that_looks_like_a_formula_is_neutralised(runner, ctx, tmp_path):
    hostile = {1: '=HYPERLINK("http://x","y")', 2: "@SUM(1)", 3: "+86 138 0000 0000 公司", 4: "-1+2 商行"}
    for n, name in hostile.items():
        db.session.add(Subject(credit_code=credit_code(n), name=name, category="一般单位", address=name,
                               note="=1+1"))
    db.session.commit()
    path = tmp_path / "名录.xlsx"
    result = runner.invoke(args=["export-subjects", str(path)])
    assert result.exit_code == 0, result.output

    sheet = pd.read_excel(path, engine="calamine", dtype=str)
    by_code = sheet.set_index("统一社会信用代码")
    for n, name in hostile.items():
        row = by_code.loc[credit_code(n)]
        assert row["单位名称"] == row["地址"] == "'" + name  # shown as text, the apostrophe marks it
        assert row["备注"] == "'=1+1"
    with zipfile.ZipFile(path) as book:
        xml = "".join(book.read(n).decode("utf-8") for n in book.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml  # no cell holds a formula

    # Importing the export gives back the names as they were: nothing changes.
    report = run_import(SubjectImporter(), path, dry_run=True)
    assert (report.unchanged, report.updated, report.created, report.refused) == (4, 0, 0, [])


# ---- user text is escaped everywhere -------------------------------------------------------------


HOSTILE_QUERY = dict.fromkeys(("q", "year", "state", "department", "entity", "entity_id", "user", "start", "end",
                               "campaign", "preset", "region", "industry", "status", "category"), XSS)


@pytest.mark.parametrize("username", ["office", "yjj_admin"])
def test_user_text_is_escaped_on_every_page(app, ctx, username):
    """Every GET page, as the office (and as the lead department's admin, who has pages of its own), plain,
    with hostile query parameters, and with real ones (a department's result entry, a campaign's statistics)."""
    ids = build_world()
    client = OwnContextClient(app, app.response_class, use_cookies=True)
    login(client, username)
    urls = urls_for(app, "GET", ids)
    assert len(urls) > 40
    real_query = {"department": ids["yjj_id"], "campaign": ids["campaign_id"], "year": 2024}
    # The signed-in user's own name is on every page: a page shows a row's text when it has more than that.
    baseline = client.get("/account/password").get_data(as_text=True).count(ESCAPED)
    assert baseline >= 1
    shown = set()
    for url in urls:
        for query in (None, HOSTILE_QUERY, real_query):
            response = client.get(url, query_string=query)
            assert response.status_code != 500, url
            body = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
            assert XSS not in body, (url, query)
            if body.count(ESCAPED) > baseline:
                shown.add(url)
            if response.mimetype not in ("text/html", "text/css", "text/javascript"):
                assert response.mimetype in ("application/json", "image/png", "image/jpeg",
                                             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), url
            response.close()
    # The names were really on the pages (escaped), so the check above was not vacuous.
    pages = ["/subjects", "/inspectors", "/items/", "/campaigns/", f"/campaigns/{ids['campaign_id']}",
             f"/campaigns/{ids['campaign_id']}/teams", f"/campaigns/{ids['campaign_id']}/records/{ids['cs_id']}",
             f"/results/{ids['record_id']}", f"/results/{ids['record_id']}/entry", "/public/results",
             f"/plans/{ids['plan_id']}", "/conflicts"]
    if username == "office":
        pages += ["/admin/departments", "/admin/users", "/audit/"]
    else:
        pages += [f"/campaigns/{ids['campaign_id']}/confirm"]
    assert set(pages) - shown == set()


# ---- log-in throttle and password policy: what test_auth does not cover ------------------------------


@pytest.mark.parametrize(("password", "message"), [("short1", "密码强度不足"), ("abcdefgh", "密码强度不足"),
                                                   ("a1" * 65, "密码不能超过128位")])
def test_create_user_on_the_command_line_enforces_the_password_policy(runner, departments, password, message):
    result = runner.invoke(args=["create-user", "wangwu", "--name", "王五", "--role", "office", "--password", password])
    assert result.exit_code == 2 and message in result.output
    assert db.session.scalar(sa.select(User).where(User.username == "wangwu")) is None


def test_padding_the_user_name_does_not_dodge_the_throttle(client, make_user):
    user, other = make_user("admin", "yjj"), make_user("admin", "scj")
    for attempt in range(5):
        client.post("/login", data={"username": f"  {user.username} ", "password": f"Wrong{attempt}xyz"})
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200 and "分钟后再试" in response.get_data(as_text=True)
    login(client, other.username)  # the wait is the name's own; others still sign in


def test_a_weak_password_is_refused_when_the_office_resets_one(client, make_user):
    office, officer = make_user("office", None), make_user("officer", "scj")
    login(client, office.username)
    data = {"username": officer.username, "display_name": officer.display_name, "role": "officer",
            "department_id": officer.department_id, "password": "password", "active": "y"}
    response = client.post(f"/admin/users/{officer.id}", data=data)
    assert response.status_code == 200 and "密码强度不足" in response.get_data(as_text=True)
    db.session.refresh(officer)
    assert officer.check_password(PASSWORD)
