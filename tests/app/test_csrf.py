"""CSRF: every POST route refuses a form without the token, and the forms carry a token that works."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from coordinator.campaigns.models import Campaign, TeamMember
from coordinator.coverage.models import CoverageRule
from coordinator.directories.creditcode import check_character
from coordinator.directories.models import Conflict, Inspector, Subject, SubjectStatusChange
from coordinator.exchange.models import ApiClient
from coordinator.exchange.services import issue_client
from coordinator.experts.models import Expert
from coordinator.extensions import db
from coordinator.imports.routes import KINDS
from coordinator.items.models import Item
from coordinator.plans import services as plans
from coordinator.plans.models import MonthlyPlan, MonthlyPlanEntry
from coordinator.states import SubjectStatus
from tests.app.county import dispatched_campaign  # the campaign the authorisation matrix uses
from tests.conftest import PASSWORD, csrf_token_from, login

CSRF_MESSAGE = "安全校验失败"


@pytest.fixture
def csrf_on(app):
    previous = app.config["WTF_CSRF_ENABLED"]
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = previous


def credit_code(n: int) -> str:
    first17 = f"91130000{n:09d}"
    return first17 + check_character(first17)


@pytest.fixture
def rows(departments, make_user):
    """Real ids for every URL parameter of a POST route."""
    subject = Subject(credit_code=credit_code(1), name="河清加油站", category="一般单位")
    other_subject = Subject(credit_code=credit_code(2), name="河清化工贸易公司", category="消防安全重点单位")
    inspector = Inspector(department_id=departments["yjj"].id, name="张三", cert_no="YJ001",
                          cert_expiry=date.today() + timedelta(days=365))
    item = Item(department_id=departments["yjj"].id, code="YJJ-001", name="危险化学品经营许可检查")
    db.session.add_all([subject, other_subject, inspector, item])
    db.session.flush()
    conflict = Conflict(inspector_id=inspector.id, subject_id=subject.id, reason="配偶任该单位出纳")
    db.session.add(conflict)
    plan = plans.create_plan(2024, departments["yjj"], "河清县")
    task = plans.add_task(plan, {"name": "危化品专项", "task_type": "定向", "ratio": "20%", "scope": "危化品企业",
                                 "start_month": "2024-05", "end_month": "2024-07"}, [], [item.id])
    month_plan = MonthlyPlan(department_id=departments["yjj"].id, month="2024-06", entries=[
        MonthlyPlanEntry(subject=subject, reason="年度计划任务", due_on=date(2024, 6, 28))])
    rule = CoverageRule(department_id=departments["yjj"].id, name="一般单位", category="一般单位", ratio=0.2)
    expert = Expert(code="ZJ001", name="王工", specialties=["危险化学品"])
    db.session.add_all([month_plan, rule, expert])
    db.session.commit()
    user = make_user("officer", "scj")
    office = make_user("office", None, username="campaign_office")
    client, _token = issue_client("县数据共享平台", office)
    campaign = dispatched_campaign(departments, office, item)
    return {"subject_id": subject.id, "inspector_id": inspector.id, "item_id": item.id,
            "conflict_id": conflict.id, "department_id": departments["xfj"].id, "user_id": user.id,
            "other_subject": other_subject.id, "plan_id": plan.id, "task_id": task.id, "campaign_id": campaign["campaign"],
            "cs_id": campaign["cs"], "member_id": campaign["member"], "record_id": campaign["record"],
            "department_result_id": campaign["department_result"], "client_id": client.id,
            "round_id": campaign["round"], "follow_up_id": campaign["follow_up"],
            "monthly_id": month_plan.id, "entry_id": month_plan.entries[0].id, "rule_id": rule.id,
            "expert_id": expert.id}


PARAMETER = re.compile(r"<(?:[^:<>]+:)?(\w+)>")


def post_urls(app, ids: dict) -> list[str]:
    """Every POST route of the app with its parameters filled (each import kind for `kind_name`)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        kinds = KINDS if "<kind_name>" in rule.rule else [None]
        missing = set(PARAMETER.findall(rule.rule)) - set(ids) - {"kind_name"}
        assert not missing, f"{rule.rule}: give the `rows` fixture a real id for {sorted(missing)}"
        for kind in kinds:
            values = {**ids, "kind_name": kind}
            urls.append(PARAMETER.sub(lambda m, values=values: str(values[m.group(1)]), rule.rule))
    return urls


def test_the_route_list_is_complete(app):
    """Guards the test below against enumerating nothing."""
    urls = post_urls(app, dict.fromkeys(("subject_id", "inspector_id", "item_id", "conflict_id", "department_id",
                                         "user_id", "plan_id", "campaign_id", "cs_id", "member_id", "record_id",
                                         "department_result_id", "client_id", "task_id", "round_id",
                                         "follow_up_id", "monthly_id", "entry_id", "rule_id", "expert_id"), 7))
    assert {"/login", "/logout", "/account/password", "/subjects/7/status", "/conflicts", "/conflicts/7/delete",
            "/admin/users/7", "/admin/departments/new", "/import/items/confirm", "/campaigns/7/dispatch",
            "/campaigns/7/members/7/recuse", "/plans/7", "/results/7/review", "/follow-ups/7", "/experts/7/edit",
            "/experts/7/active", "/experts/new"} <= set(urls)


def test_every_post_route_refuses_a_form_without_token(app, client, rows, make_user, csrf_on):
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, make_user("office", None).username)
    app.config["WTF_CSRF_ENABLED"] = True
    for url in post_urls(app, rows):
        response = client.post(url, data={"name": "改名", "status": "deregistered", "reason": "测试"})
        assert response.status_code == 400, url
        assert CSRF_MESSAGE in response.get_data(as_text=True), url
        # A token that does not belong to this session is no better.
        response = client.post(url, data={"csrf_token": "forged-token", "reason": "测试"})
        assert response.status_code == 400, url

    # Nothing happened: still signed in (log-out refused), rows untouched.
    assert client.get("/").status_code == 200
    db.session.expire_all()
    assert db.session.get(Subject, rows["subject_id"]).status == SubjectStatus.ACTIVE
    assert db.session.get(Inspector, rows["inspector_id"]).active
    assert db.session.get(Item, rows["item_id"]).active
    assert db.session.get(Conflict, rows["conflict_id"]) is not None
    assert db.session.get(Campaign, rows["campaign_id"]).status == "dispatched"
    assert db.session.get(TeamMember, rows["member_id"]).recused_at is None
    assert db.session.get(ApiClient, rows["client_id"]).revoked_at is None
    assert db.session.get(Expert, rows["expert_id"]).active and db.session.get(Expert, rows["expert_id"]).name == "王工"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Expert)) == 1  # /experts/new added nobody


def test_login_needs_the_token_from_the_page(client, make_user, csrf_on):
    user = make_user("officer", "yjj")
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400 and CSRF_MESSAGE in response.get_data(as_text=True)
    assert client.get("/").status_code in (302, 303)

    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code in (302, 303)
    assert client.get("/").status_code == 200


@pytest.fixture
def signed_in_office(app, client, make_user):
    """The office signed in through the real log-in form, token and all."""
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user("office", None)
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code in (302, 303)
    return user


def test_password_change_with_the_token(client, csrf_on, signed_in_office):
    new = {"current": PASSWORD, "new": "Another2024", "confirm": "Another2024"}
    assert client.post("/account/password", data=new).status_code == 400
    token = csrf_token_from(client.get("/account/password").get_data(as_text=True))
    response = client.post("/account/password", data={**new, "csrf_token": token})
    assert response.status_code in (302, 303)
    db.session.refresh(signed_in_office)
    assert signed_in_office.check_password("Another2024")


def test_subject_status_change_with_the_token(client, rows, csrf_on, signed_in_office):
    url = f"/subjects/{rows['subject_id']}"
    change = {"status": "suspended", "reason": "实地核查已停业"}
    assert client.post(f"{url}/status", data=change).status_code == 400
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    response = client.post(f"{url}/status", data={**change, "csrf_token": token})
    assert response.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(Subject, rows["subject_id"]).status == SubjectStatus.SUSPENDED
    assert db.session.scalar(sa.select(SubjectStatusChange.reason)) == "实地核查已停业"


def test_conflict_declaration_with_the_token(client, rows, csrf_on, signed_in_office):
    declare = {"inspector_id": rows["inspector_id"], "credit_code": credit_code(2), "reason": "曾在该公司任职"}
    assert client.post("/conflicts", data=declare).status_code == 400
    token = csrf_token_from(client.get("/conflicts").get_data(as_text=True))
    response = client.post("/conflicts", data={**declare, "csrf_token": token})
    assert response.status_code in (302, 303)
    assert db.session.scalar(
        sa.select(Conflict.reason).where(Conflict.subject_id == rows["other_subject"])) == "曾在该公司任职"


def test_log_out_with_the_token_from_the_menu(client, csrf_on, signed_in_office):
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code in (302, 303)
    assert client.get("/").status_code in (302, 303)


def test_log_out_is_post_only(client, make_user):
    login(client, make_user("officer", "yjj").username)
    response = client.get("/logout")
    assert response.status_code == 405
    assert "操作方式不正确" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200  # still signed in
