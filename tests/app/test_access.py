"""The authorisation matrix: every route × every role, and department scoping of rows."""
from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

import solver
from coordinator.access import roles_for
from coordinator.auth.models import User
from coordinator.campaigns import services
from coordinator.campaigns.models import CampaignSubject, TeamMember
from coordinator.coverage.models import CoverageRule
from coordinator.directories.creditcode import check_character
from coordinator.directories.models import Conflict, Inspector, Subject
from coordinator.exchange.services import issue_client
from coordinator.experts.models import Expert
from coordinator.extensions import db
from coordinator.followups.models import FollowUp
from coordinator.items.models import Item
from coordinator.plans import monthly
from coordinator.plans import services as plans
from coordinator.plans.models import MonthlyPlan, MonthlyPlanEntry
from coordinator.results.models import InspectionRecord
from coordinator.states import RecordStatus
from solver import canonical_json
from tests.app.county import campaign_values, dispatched_campaign
from tests.conftest import PASSWORD, login

ANONYMOUS, OFFICE, ADMIN, OFFICER, INSPECTOR = "anonymous", "office", "admin", "officer", "inspector"
ROLES = (ANONYMOUS, OFFICE, ADMIN, OFFICER, INSPECTOR)
SIGNED_IN = {OFFICE, ADMIN, OFFICER}  # the department and office accounts
# An inspector's own account (yjj's, the 组长 of {record}'s team): only what names it.
ACCOUNTS = {*SIGNED_IN, INSPECTOR}
EDITORS = {OFFICE, ADMIN}
EVERYONE = {ANONYMOUS, *ACCOUNTS}
REDIRECT = "redirect"  # 302 or 303: Flask's default changes between versions
LOGIN = "redirect to /login"
TOKEN = {"token": "0" * 32}  # well-formed upload token of no stored file

# (method, url, roles allowed, what an allowed role gets, form data).
# "what an allowed role gets" is a status, REDIRECT, or a dict role → status (missing roles: the "*" entry).
# URLs are filled with the ids of the `matrix_world` fixture; a row may carry a query string.
MATRIX = [
    ("GET", "/", ACCOUNTS, {INSPECTOR: REDIRECT, "*": 200}, None),  # an inspector lands on its task list
    ("GET", "/login", EVERYONE, {ANONYMOUS: 200, "*": REDIRECT}, None),
    ("POST", "/login", EVERYONE, {ANONYMOUS: 200, "*": REDIRECT}, {}),
    ("POST", "/logout", ACCOUNTS, LOGIN, {}),
    ("GET", "/account/password", ACCOUNTS, 200, None),
    ("POST", "/account/password", ACCOUNTS, 200, {}),
    ("GET", "/tasks/", {INSPECTOR}, 200, None),
    ("GET", "/admin/inspector-accounts", {ADMIN}, 200, None),
    ("POST", "/admin/inspector-accounts", {ADMIN}, 200, {}),  # nobody chosen: the page says so
    ("POST", "/admin/inspector-accounts/{inspector_user}/reset", {ADMIN}, 200, {}),
    ("GET", "/admin/departments", {OFFICE}, 200, None),
    ("GET", "/admin/departments/new", {OFFICE}, 200, None),
    ("POST", "/admin/departments/new", {OFFICE}, 200, {}),
    ("GET", "/admin/departments/{department}", {OFFICE}, 200, None),
    ("POST", "/admin/departments/{department}", {OFFICE}, 200, {"code": ""}),
    ("GET", "/admin/users", {OFFICE}, 200, None),
    ("GET", "/admin/users/new", {OFFICE}, 200, None),
    ("POST", "/admin/users/new", {OFFICE}, 200, {}),
    ("GET", "/admin/users/{user}", {OFFICE}, 200, None),
    ("POST", "/admin/users/{user}", {OFFICE}, 200, {"username": ""}),
    ("POST", "/admin/users/{user}/unlock", {OFFICE}, REDIRECT, {}),
    ("GET", "/subjects", SIGNED_IN, 200, None),
    ("GET", "/subjects/export", {OFFICE}, 200, None),
    ("GET", "/subjects/stale", SIGNED_IN, 200, None),
    ("GET", "/subjects/{subject}", SIGNED_IN, 200, None),
    ("GET", "/subjects/new", {OFFICE}, 200, None),
    ("POST", "/subjects/new", {OFFICE}, 200, {}),
    ("GET", "/subjects/{subject}/file.xlsx", SIGNED_IN, 200, None),
    ("GET", "/subjects/{subject}/edit", {OFFICE}, 200, None),
    ("POST", "/subjects/{subject}/edit", {OFFICE}, 200, {}),
    ("POST", "/subjects/{subject}/status", {OFFICE}, REDIRECT, {}),
    ("GET", "/inspectors", SIGNED_IN, 200, None),
    ("GET", "/inspectors/export", EDITORS, 200, None),
    ("GET", "/inspectors/{inspector}", SIGNED_IN, 200, None),
    ("GET", "/inspectors/new", EDITORS, 200, None),
    ("POST", "/inspectors/new", EDITORS, 200, {}),
    ("GET", "/inspectors/{inspector}/edit", EDITORS, 200, None),
    ("POST", "/inspectors/{inspector}/edit", EDITORS, 200, {}),
    ("POST", "/inspectors/{inspector}/active", EDITORS, REDIRECT, {}),
    ("GET", "/conflicts", EDITORS, 200, None),
    ("POST", "/conflicts", EDITORS, 200, {}),
    ("POST", "/conflicts/{conflict}/delete", EDITORS, REDIRECT, {}),
    ("GET", "/items/", SIGNED_IN, 200, None),
    ("GET", "/items/export", SIGNED_IN, 200, None),
    ("GET", "/items/{item}", SIGNED_IN, 200, None),
    ("GET", "/items/new", EDITORS, 200, None),
    ("POST", "/items/new", EDITORS, 200, {}),
    ("GET", "/items/{item}/edit", EDITORS, 200, None),
    ("POST", "/items/{item}/edit", EDITORS, 200, {"name": ""}),
    ("POST", "/items/{item}/active", EDITORS, REDIRECT, {}),
    ("GET", "/import/subjects", {OFFICE}, 200, None),
    ("POST", "/import/subjects", {OFFICE}, 200, {}),
    ("POST", "/import/subjects/confirm", {OFFICE}, 200, TOKEN),
    ("GET", "/import/inspectors", EDITORS, 200, None),
    ("POST", "/import/inspectors", EDITORS, 200, {}),
    ("POST", "/import/inspectors/confirm", EDITORS, 200, TOKEN),
    ("GET", "/import/conflicts", EDITORS, 200, None),
    ("POST", "/import/conflicts", EDITORS, 200, {}),
    ("POST", "/import/conflicts/confirm", EDITORS, 200, TOKEN),
    ("GET", "/import/experts", EDITORS, 200, None),
    ("POST", "/import/experts", EDITORS, 200, {}),
    ("POST", "/import/experts/confirm", EDITORS, 200, TOKEN),
    ("GET", "/experts", SIGNED_IN, 200, None),
    # {expert} is yjj's specialist: the office and yjj's admin edit it (another department's admin: test_experts).
    ("GET", "/experts/new", EDITORS, 200, None),
    ("POST", "/experts/new", EDITORS, 200, {}),  # nothing filled: the import's reasons, in the page
    ("GET", "/experts/{expert}/edit", EDITORS, 200, None),
    ("POST", "/experts/{expert}/edit", EDITORS, 200, {}),  # nothing filled: the import's reasons, in the page
    ("POST", "/experts/{expert}/active", EDITORS, REDIRECT, {}),
    ("GET", "/campaigns/{campaign}/experts", SIGNED_IN, 200, None),  # yjj leads it: its people take part
    ("POST", "/campaigns/{campaign}/experts", {OFFICE}, REDIRECT, {"industries": "危险化学品"}),
    ("GET", "/import/items", EDITORS, 200, None),
    ("POST", "/import/items", EDITORS, 200, {}),
    ("POST", "/import/items/confirm", EDITORS, 200, TOKEN),
    ("GET", "/import/risk-classes", {OFFICE}, 200, None),
    ("POST", "/import/risk-classes", {OFFICE}, 200, {}),
    ("POST", "/import/risk-classes/confirm", {OFFICE}, 200, TOKEN),
    ("GET", "/import/registration", {OFFICE}, 200, None),
    ("POST", "/import/registration", {OFFICE}, 200, {}),
    ("POST", "/import/registration/confirm", {OFFICE}, 200, TOKEN),
    ("GET", "/import/personnel", EDITORS, 200, None),
    ("POST", "/import/personnel", EDITORS, 200, {}),
    ("POST", "/import/personnel/confirm", EDITORS, 200, TOKEN),
    ("GET", "/exchange/", {OFFICE}, 200, None),
    ("POST", "/exchange/publicity", {OFFICE}, 200, {}),  # neither year nor campaign: the page says so
    ("GET", "/exchange/missing", {OFFICE}, 200, None),
    ("GET", "/exchange/api-clients", {OFFICE}, 200, None),
    ("POST", "/exchange/api-clients", {OFFICE}, 200, {}),
    ("POST", "/exchange/api-clients/{client}/revoke", {OFFICE}, REDIRECT, {}),
    # The data-sharing API: a session counts for nothing there, only a token (tests/app/test_exchange.py).
    ("GET", "/api/v1/openapi.json", EVERYONE, 200, None),
    ("GET", "/api/v1/results", EVERYONE, 401, None),
    ("GET", "/api/v1/items", EVERYONE, 401, None),
    ("GET", "/api/v1/campaigns", EVERYONE, 401, None),
    # {campaign}: yjj leads, scj joins, drawn, teamed and dispatched; {collecting}: still collecting items.
    ("GET", "/campaigns/", SIGNED_IN, 200, None),
    # the office creates every kind; a department's admin its own internal and special inspections
    ("GET", "/campaigns/new", EDITORS, 200, None),
    ("POST", "/campaigns/new", EDITORS, 200, {}),
    ("GET", "/campaigns/{campaign}/scheme", SIGNED_IN, 404, None),  # a joint campaign files no special plan
    ("GET", "/campaigns/{campaign}", SIGNED_IN, 200, None),
    ("GET", "/campaigns/{collecting}/items", SIGNED_IN, 200, None),
    ("POST", "/campaigns/{collecting}/items", EDITORS, 200, {}),
    ("GET", "/campaigns/{campaign}/subjects", SIGNED_IN, 200, None),
    ("GET", "/campaigns/{campaign}/confirm", {ADMIN}, 200, None),
    ("POST", "/campaigns/{campaign}/confirm", {ADMIN}, 200, {}),
    ("POST", "/campaigns/{campaign}/subjects/{cs}/drop", {OFFICE}, REDIRECT, {}),
    ("POST", "/campaigns/{campaign}/staffing", {OFFICE}, REDIRECT, {}),
    ("GET", "/campaigns/{campaign}/teams", SIGNED_IN, 200, None),
    ("GET", "/campaigns/{campaign}/members/{member}/recuse", EDITORS, 200, None),
    ("POST", "/campaigns/{campaign}/members/{member}/recuse", EDITORS, REDIRECT, {}),
    ("POST", "/campaigns/{campaign}/dispatch", {OFFICE}, REDIRECT, {}),
    ("GET", "/campaigns/{campaign}/dispatch.xlsx", SIGNED_IN, 200, None),
    # Visit dates: the lead department's administrator (yjj leads {campaign}) and the office.
    ("GET", "/campaigns/{campaign}/visits", EDITORS, 200, None),
    ("POST", "/campaigns/{campaign}/visits/{cs}", EDITORS, REDIRECT, {}),
    ("POST", "/campaigns/{campaign}/visits/agree-all", EDITORS, REDIRECT, {}),  # yjj leads: its people get the list
    ("GET", "/campaigns/{campaign}/records/{cs}", SIGNED_IN, 200, None),
    ("GET", "/campaigns/{campaign}/records/{cs}.xlsx", SIGNED_IN, 200, None),
    ("GET", "/campaigns/{campaign}/records.xlsx", SIGNED_IN, 200, None),
    ("GET", "/campaigns/{campaign}/notices/{cs}", SIGNED_IN, 200, None),
    # {draw} is the teams draw: every department's people and recusals, for the office that audits it.
    ("GET", "/campaigns/{campaign}/draws/{draw}.json", {OFFICE}, 200, None),
    ("GET", "/campaigns/{campaign}/draws/{draw}/pairs.csv", {OFFICE}, 200, None),
    # {round}: the seed round of {campaign}'s team draw (drawn: a step on it is refused with a message).
    ("POST", "/campaigns/{campaign}/rounds", {OFFICE}, REDIRECT, {}),
    ("POST", "/campaigns/{campaign}/rounds/fallback", {OFFICE}, REDIRECT, {}),
    ("GET", "/campaigns/{campaign}/rounds/{round}", SIGNED_IN, 200, None),
    ("POST", "/campaigns/{campaign}/rounds/{round}/commit", EDITORS, REDIRECT, {}),
    ("POST", "/campaigns/{campaign}/rounds/{round}/reveal", EDITORS, REDIRECT, {}),
    ("POST", "/campaigns/{campaign}/rounds/{round}/close", {OFFICE}, REDIRECT, {}),
    ("POST", "/campaigns/{campaign}/rounds/{round}/fallback", {OFFICE}, REDIRECT, {}),
    ("POST", "/campaigns/{campaign}/rounds/{round}/run", {OFFICE}, REDIRECT, {}),
    ("GET", "/plans/", SIGNED_IN, 200, None),
    ("POST", "/plans/new", {OFFICE}, REDIRECT, {}),
    ("GET", "/plans/{plan}", SIGNED_IN, 200, None),
    ("POST", "/plans/{plan}", {OFFICE}, 200, {}),
    ("GET", "/plans/{plan}/tasks/{task}/edit", {OFFICE}, 200, None),
    ("POST", "/plans/{plan}/tasks/{task}/edit", {OFFICE}, 200, {}),
    ("POST", "/plans/{plan}/tasks/{task}/delete", {OFFICE}, REDIRECT, {}),
    ("GET", "/plans/export", SIGNED_IN, 200, None),
    # monthly plans: the department's admin makes, edits and confirms its own; the office and its people read
    ("GET", "/public/plan", EVERYONE, 200, None),  # the annual plan and its adjustments, for everyone
    ("GET", "/plans/monthly", SIGNED_IN, 200, None),
    ("POST", "/plans/monthly/new", {ADMIN}, REDIRECT, {}),
    ("GET", "/plans/monthly/{monthly}", SIGNED_IN, 200, None),
    ("GET", "/plans/monthly/{monthly}.xlsx", SIGNED_IN, 200, None),
    ("POST", "/plans/monthly/{monthly}/entries", {ADMIN}, REDIRECT, {}),
    ("POST", "/plans/monthly/{monthly}/entries/{monthly_entry}/delete", {ADMIN}, REDIRECT, {}),
    ("POST", "/plans/monthly/{monthly}/repropose", {ADMIN}, REDIRECT, {}),
    ("GET", "/plans/monthly/{monthly}/draw.json", SIGNED_IN, 200, None),  # the draw's input, to replay it
    ("POST", "/plans/monthly/{monthly}/confirm", {ADMIN}, REDIRECT, {}),
    ("POST", "/plans/monthly/{monthly}/campaign", {ADMIN}, REDIRECT, {}),
    # {record}: the joint record of {cs}, which yjj and scj visit; {department_result}: yjj's result on it.
    ("GET", "/results/", SIGNED_IN, 200, None),
    ("GET", "/results/{record}", ACCOUNTS, 200, None),
    ("GET", "/results/{record}/entry?department={yjj}", ACCOUNTS, 200, None),
    ("POST", "/results/{record}/entry?department={yjj}", ACCOUNTS, REDIRECT, {}),
    # The report and the result notice: the lead department's people and the team's 组长 (yjj leads {record}).
    ("POST", "/results/{record}/report", ACCOUNTS, REDIRECT, {}),
    ("GET", "/results/{record}/notice", ACCOUNTS, 200, None),
    ("POST", "/results/{record}/notice", ACCOUNTS, REDIRECT, {}),
    ("POST", "/results/{record}/review", EDITORS, REDIRECT, {}),  # office, and yjj's admin as the lead department
    # Follow-ups: department and office accounts; {follow_up} is yjj's rectification (admin/officer are yjj's).
    ("GET", "/follow-ups/", SIGNED_IN, 200, None),
    ("GET", "/follow-ups/?view=overdue", SIGNED_IN, 200, None),
    ("GET", "/follow-ups/{follow_up}", SIGNED_IN, 200, None),
    ("POST", "/follow-ups/{follow_up}", SIGNED_IN, REDIRECT, {"step": "report"}),
    ("POST", "/results/{record}/photos", {ADMIN, OFFICER, INSPECTOR}, REDIRECT, {}),  # the visiting departments' people
    ("GET", "/results/photos/{attachment}", ACCOUNTS, 200, None),
    # Coverage duties: every signed-in account reads its own department's; only the office reads another's and
    # sets the rules ({department} is xfj, which no signed-in test account belongs to).
    ("GET", "/coverage/", SIGNED_IN, 200, None),
    ("GET", "/coverage/?department={yjj}&year=2025&period=h2", SIGNED_IN, 200, None),
    ("GET", "/coverage/?department={department}", {OFFICE}, 200, None),
    ("GET", "/coverage/export?department={yjj}", SIGNED_IN, 200, None),
    ("GET", "/coverage/export?department={department}", {OFFICE}, 200, None),
    ("GET", "/coverage/rules", SIGNED_IN, 200, None),
    ("POST", "/coverage/rules", {OFFICE}, 200, {}),
    ("GET", "/coverage/rules/{coverage_rule}", {OFFICE}, 200, None),
    ("POST", "/coverage/rules/{coverage_rule}", {OFFICE}, 200, {}),
    ("POST", "/coverage/rules/defaults", {OFFICE}, REDIRECT, {}),
    ("GET", "/stats/", SIGNED_IN, 200, None),
    ("GET", "/stats/form.xlsx", SIGNED_IN, 200, None),
    ("GET", "/stats/dashboard", {OFFICE}, 200, None),
    ("GET", "/audit/", {OFFICE}, 200, None),
    ("GET", "/audit/digest", {OFFICE}, 200, None),
    # The public pages: anyone, signed in or not.
    ("GET", "/public/", EVERYONE, 200, None),
    ("GET", "/public/items", EVERYONE, 200, None),
    ("GET", "/public/campaigns", EVERYONE, 200, None),
    ("GET", "/public/campaigns/{campaign}", EVERYONE, 200, None),
    ("GET", "/public/results", EVERYONE, 200, None),
    ("GET", "/public/subjects/{subject_code}", EVERYONE, 200, None),
    # Monitoring: anyone. 503 here because the test database is built by create_all, so no migration is
    # recorded (tests/app/test_health.py checks the 200 of a migrated database).
    ("GET", "/healthz", EVERYONE, 503, None),
]
PLACEHOLDERS = ("subject", "inspector", "item", "conflict", "department", "user", "yjj", "campaign", "collecting",
                "cs", "member", "draw", "round", "plan", "task", "record", "department_result", "attachment", "client",
                "inspector_user", "follow_up", "coverage_rule", "monthly", "monthly_entry", "subject_code", "expert")
NEEDS_CAMPAIGN = ("{campaign}", "{record}", "{attachment}", "{follow_up}")
DUMMY_IDS = dict.fromkeys(PLACEHOLDERS, 999)


def credit_code(n: int) -> str:
    first17 = f"91130000{n:09d}"
    return first17 + check_character(first17)


def _param(request, name: str) -> str:
    callspec = getattr(request.node, "callspec", None)
    return callspec.params.get(name, "") if callspec else ""


def make_world(departments, *, rows: bool = True) -> dict:
    """The users the tests sign in as (yjj's admin and officer, the office, an inspector's own account of yjj)
    and a user to edit, in one commit; with `rows`, one row of everything the URLs name: yjj's inspector, item
    and conflict, a subject, a plan, and a campaign still collecting items."""
    yjj, scj = departments["yjj"], departments["scj"]
    users = [User(username=username, display_name=f"{role}用户", role=role,
                  department_id=department.id if department else None)
             for username, role, department in (("office_office", OFFICE, None), ("admin_yjj", ADMIN, yjj),
                                                ("officer_yjj", OFFICER, yjj), ("someone_else", OFFICER, scj))]
    inspector = Inspector(department_id=yjj.id, name="张三", cert_no="YJ001",
                          cert_expiry=date.today() + timedelta(days=365))
    users.append(User(username="inspector_yjj", display_name="张三", role=INSPECTOR, department_id=yjj.id,
                      inspector=inspector))
    for user in users:
        user.set_password(PASSWORD)
    db.session.add_all(users)
    if not rows:
        db.session.commit()
        return DUMMY_IDS
    office, other = users[0], users[3]
    subject = Subject(credit_code=credit_code(1), name="河清加油站", category="一般单位")
    item = Item(department_id=yjj.id, code="YJJ-001", name="危险化学品经营许可检查")
    db.session.add_all([subject, item])
    db.session.flush()
    conflict = Conflict(inspector_id=inspector.id, subject_id=subject.id, reason="配偶任该单位出纳")
    plan = plans.create_plan(2024, yjj, "河清县")
    task = plans.add_task(plan, {"name": "危化品专项", "task_type": "定向", "ratio": "20%", "scope": "危化品企业",
                                 "start_month": "2024-05", "end_month": "2024-07"}, [], [item.id])
    collecting = services.create_campaign(campaign_values(name="征集中的联合抽查"), yjj, [scj], office)
    month_plan = MonthlyPlan(department_id=yjj.id, month="2024-06", entries=[
        MonthlyPlanEntry(subject=subject, reason="年度计划任务", due_on=date(2024, 6, 28))])
    db.session.add(month_plan)
    db.session.flush()
    problem = monthly.draw_problem([subject], [], 1)  # its proposal's draw, for the input download
    result = solver.draw_subjects({**problem, "seed": "access"})
    month_plan.draw_problem, month_plan.draw_seed = canonical_json(problem), "access"
    month_plan.draw_input_sha256, month_plan.draw_result = result["input_sha256"], canonical_json(result)
    client, _token = issue_client("县数据共享平台", office)
    rule = CoverageRule(department_id=yjj.id, name="重大隐患单位每年覆盖", flags=["major_hazard"])
    expert = Expert(code="ZJ-YJJ-1", name="应急专家", department_id=yjj.id, specialties=["危险化学品"])
    db.session.add_all([conflict, rule, expert])
    db.session.commit()
    return {"coverage_rule": rule.id, "expert": expert.id, "subject_code": subject.credit_code, "subject": subject.id,
            "inspector": inspector.id, "item": item.id,
            "conflict": conflict.id,
            "department": departments["xfj"].id, "user": other.id, "yjj": yjj.id, "plan": plan.id,
            "task": task.id, "collecting": collecting.id, "client": client.id, "inspector_user": users[4].id,
            "monthly": month_plan.id, "monthly_entry": month_plan.entries[0].id,
            **dict.fromkeys(("campaign", "cs", "member", "draw", "round", "record", "department_result", "attachment",
                             "follow_up"),
                            0),
            "_office": office, "_item": item}


def with_campaign(departments, ids: dict) -> dict:
    """The dispatched campaign; the inspector's own account becomes that of the 组长 of {record}'s team."""
    campaign = dispatched_campaign(departments, ids["_office"], ids["_item"])
    account = db.session.scalar(sa.select(User).where(User.username == "inspector_yjj"))
    account.inspector_id = db.session.get(CampaignSubject, campaign["cs"]).leader.inspector_id
    db.session.commit()
    return {**ids, **campaign}


def _refused_before_any_lookup(app, role: str, method: str, url: str) -> bool:
    """Anonymous visitors, and roles the view's decorator refuses, must be turned away before any row is read."""
    if role == ANONYMOUS:
        return True
    endpoint, args = app.url_map.bind("localhost").match(
        url.format(**dict.fromkeys(PLACEHOLDERS, 1)).partition("?")[0], method=method)
    return role not in declared_roles(app.view_functions[endpoint], method, args)


def declared_roles(view, method: str, args: dict) -> tuple[str, ...]:
    """The roles a view declares for a `method` request to a URL of `args` (its roles, its form's, its kind's)."""
    return roles_for(view, method, args if getattr(view, "url_roles", None) else {})


def matrix_cases():
    """One test per GET row for all roles at once (a GET changes nothing); for a POST row, one test for the
    roles it refuses and one per allowed role, each on fresh rows, as an allowed POST may change them."""
    for row in MATRIX:
        method, url, allowed = row[:3]
        if method == "GET":
            yield pytest.param(row, ROLES, id=f"{method} {url}")
            continue
        refused = tuple(role for role in ROLES if role not in allowed)
        if refused:
            yield pytest.param(row, refused, id=f"{method} {url} refused")
        for role in ROLES:
            if role in allowed:
                yield pytest.param(row, (role,), id=f"{method} {url} {role}")


@pytest.fixture
def matrix_world(request, app):
    """The rows the case's URL names; the solver runs only for the URLs that name a campaign, its records or
    photos, and nothing is built when every role of the case is refused before any lookup."""
    (method, url, allowed, *_), roles = request.node.callspec.params["row"], request.node.callspec.params["roles"]
    reaching = [role for role in roles if role in allowed or not _refused_before_any_lookup(app, role, method, url)]
    if not reaching and roles == (ANONYMOUS,):
        return DUMMY_IDS
    departments = request.getfixturevalue("departments")
    if not reaching:
        return make_world(departments, rows=False)
    ids = make_world(departments)
    return with_campaign(departments, ids) if any(name in url for name in NEEDS_CAMPAIGN) else ids


@pytest.fixture
def world(request, departments):
    """Every row, with the campaign when the test's `url` names it."""
    ids = make_world(departments)
    return with_campaign(departments, ids) if any(name in _param(request, "url") for name in NEEDS_CAMPAIGN) else ids


@pytest.fixture
def full_world(departments):
    return with_campaign(departments, make_world(departments))


def _expected(expect, role):
    return expect.get(role, expect.get("*")) if isinstance(expect, dict) else expect


def _request(client, method, url, data):
    response = client.get(url) if method == "GET" else client.post(url, data=data)
    response.get_data()  # read and close it, as a server would: downloads hold their file open until then
    response.close()
    return response


USERNAMES = {OFFICE: "office_office", ADMIN: "admin_yjj", OFFICER: "officer_yjj", INSPECTOR: "inspector_yjj"}


def _outcome(response):
    """What a user meets: a page's status, a redirect, the log-in page, or the Chinese 403 page."""
    if response.status_code in (302, 303):
        return LOGIN if urlsplit(response.headers["Location"]).path == "/login" else REDIRECT
    if response.status_code == 403 and "无权访问" not in response.get_data(as_text=True):
        return "403 without the Chinese page"
    return response.status_code


@pytest.mark.parametrize(("row", "roles"), list(matrix_cases()))
def test_authorisation_matrix(app, matrix_world, row, roles):
    method, url, allowed, expect, data = row
    got, wanted = {}, {}
    for role in roles:
        client = app.test_client()  # a browser of its own for each role
        if role != ANONYMOUS:
            login(client, USERNAMES[role])
        refused_early = role not in allowed and _refused_before_any_lookup(app, role, method, url)
        # Refused before any lookup: ids of rows that do not exist, so that a view looking its row up before
        # checking the role would answer 404 here and fail.
        ids = DUMMY_IDS if refused_early else matrix_world
        got[role] = _outcome(_request(client, method, url.format(**ids), data))
        if role in allowed:
            wanted[role] = _expected(expect, role)
        else:
            wanted[role] = LOGIN if role == ANONYMOUS else 403
    assert got == wanted


def _rules(app):
    return {(rule.rule, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_matrix_lists_every_route(app):
    """A new route must be added to MATRIX (with who may call it) before this passes."""
    adapter = app.url_map.bind("localhost")
    dummy_ids = dict.fromkeys(PLACEHOLDERS, 1)
    covered = set()
    for method, url, _allowed, _expect, _data in MATRIX:
        path = url.format(**dummy_ids).partition("?")[0]
        rule, _args = adapter.match(path, method=method, return_rule=True)  # stale rows fail here
        covered.add((rule.rule, method))
    missing = _rules(app) - covered
    assert not missing, f"routes missing from the authorisation matrix: {sorted(missing)}"


def test_every_view_declares_its_roles(app):
    """Each view sits behind roles_required, and the matrix allows no role the view does not declare."""
    adapter = app.url_map.bind("localhost")
    dummy_ids = dict.fromkeys(PLACEHOLDERS, 1)
    for endpoint, view in app.view_functions.items():
        if endpoint != "static":
            assert getattr(view, "allowed_roles", None), f"{endpoint} is not behind roles_required"
    for method, url, allowed, _expect, _data in MATRIX:
        endpoint, args = adapter.match(url.format(**dummy_ids).partition("?")[0], method=method)
        declared = set(declared_roles(app.view_functions[endpoint], method, args))
        assert allowed <= declared, (url, allowed, declared)  # "anonymous" only where the view says so


# ---- department scoping --------------------------------------------------------------------------

SCOPED = [
    ("GET", "/inspectors/{inspector}", None),
    ("GET", "/inspectors/{inspector}/edit", None),
    ("POST", "/inspectors/{inspector}/edit", {"name": "改名", "gender": "", "can_lead": "否"}),
    ("POST", "/inspectors/{inspector}/active", {}),
    ("GET", "/items/{item}", None),
    ("GET", "/items/{item}/edit", None),
    ("POST", "/items/{item}/edit", {"name": "改名"}),
    ("POST", "/items/{item}/active", {}),
    ("POST", "/conflicts/{conflict}/delete", {}),
    ("POST", "/import/items/confirm", {"department_id": "{yjj}", **TOKEN}),
    ("POST", "/import/items", {"department_id": "{yjj}"}),
    # scj takes part in the campaign, but the dispatch list is the lead department's, and yjj's people are its own.
    ("GET", "/campaigns/{campaign}/dispatch.xlsx", None),
    ("POST", "/campaigns/{campaign}/members/{member}/recuse", {"reason": "与该单位负责人系亲属"}),
    # scj visits the enterprise too, but reviews are the lead department's and yjj's result is yjj's.
    ("POST", "/results/{record}/review", {"action": "publish"}),
    ("GET", "/follow-ups/{follow_up}", None),
    ("POST", "/follow-ups/{follow_up}", {"step": "report", "on": "2024-07-02"}),
    # scj takes part, but the visit dates are the lead department's to agree.
    ("GET", "/campaigns/{campaign}/visits", None),
    ("POST", "/campaigns/{campaign}/visits/{cs}", {"visit_date": "2024-06-20"}),
]


def _statuses(client, world, rows) -> dict[str, int]:
    statuses = {}
    for method, url, data in rows:
        data = data and {k: v.format(**world) for k, v in data.items()}
        statuses[f"{method} {url}"] = _request(client, method, url.format(**world), data).status_code
    return statuses


@pytest.mark.parametrize("role", (ADMIN, OFFICER))
def test_another_departments_rows_are_refused(client, full_world, as_role, role):
    as_role(role, "scj")
    statuses = _statuses(client, full_world, SCOPED)
    assert statuses == dict.fromkeys(statuses, 403)
    db.session.expire_all()
    inspector, item = db.session.get(Inspector, full_world["inspector"]), db.session.get(Item, full_world["item"])
    assert (inspector.name, inspector.active) == ("张三", True)
    assert (item.name, item.active, item.version) == ("危险化学品经营许可检查", True, 1)
    assert db.session.get(Conflict, full_world["conflict"]) is not None
    assert db.session.get(TeamMember, full_world["member"]).recused_at is None
    assert db.session.get(FollowUp, full_world["follow_up"]).report_received_on is None
    assert db.session.get(InspectionRecord, full_world["record"]).status == RecordStatus.ENTERING


@pytest.mark.parametrize(("method", "url", "data"), SCOPED, ids=[f"{m} {u}" for m, u, _ in SCOPED])
def test_the_same_requests_pass_for_the_owning_department(client, world, method, url, data):
    """Control for the test above: yjj's own administrator gets through every scoped request."""
    login(client, "admin_yjj")
    data = data and {k: v.format(**world) for k, v in data.items()}
    response = _request(client, method, url.format(**world), data)
    assert response.status_code in (200, 302, 303), response.status_code
    if "recuse" in url:
        db.session.expire_all()
        assert db.session.get(TeamMember, world["member"]).recused_at is not None


NOT_TAKING_PART = [
    ("GET", "/campaigns/{campaign}", None),
    ("GET", "/campaigns/{campaign}/subjects", None),
    ("GET", "/campaigns/{campaign}/teams", None),
    ("GET", "/campaigns/{campaign}/records/{cs}", None),
    ("GET", "/campaigns/{campaign}/records.xlsx", None),
    ("GET", "/campaigns/{campaign}/notices/{cs}", None),
    ("GET", "/campaigns/{campaign}/draws/{draw}.json", None),
    ("GET", "/campaigns/{campaign}/draws/{draw}/pairs.csv", None),
    ("GET", "/campaigns/{collecting}/items", None),
    ("POST", "/campaigns/{collecting}/items", {"materials": "营业执照"}),
    ("GET", "/results/{record}", None),
    ("GET", "/results/{record}/entry", None),
    ("POST", "/results/{record}/entry", {"action": "submit"}),
    ("POST", "/results/{record}/photos", {}),
    ("GET", "/results/photos/{attachment}", None),
    ("GET", "/campaigns/{campaign}/visits", None),
]


@pytest.mark.parametrize("role", (ADMIN, OFFICER))
def test_a_department_outside_the_campaign_sees_none_of_it(client, full_world, as_role, role):
    as_role(role, "xfj")
    statuses = _statuses(client, full_world, NOT_TAKING_PART)
    assert statuses == dict.fromkeys(statuses, 403)
    listing = client.get("/campaigns/").get_data(as_text=True)
    assert "征集中的联合抽查" not in listing and "2024年度测试联合抽查" not in listing
    assert "河清县联查" not in client.get("/results/").get_data(as_text=True)


def test_the_departments_taking_part_see_the_campaign(client, full_world):
    """Control for the test above."""
    for username in ("admin_yjj", "officer_yjj", "someone_else"):  # someone_else is of scj
        login(client, username)
        assert "征集中的联合抽查" in client.get("/campaigns/").get_data(as_text=True)
        assert client.get(f"/campaigns/{full_world['campaign']}").status_code == 200
        assert client.get(f"/results/{full_world['record']}").status_code == 200
        assert "河清县联查" in client.get("/results/").get_data(as_text=True)
        client.post("/logout")


def test_lists_show_only_the_own_departments_rows(client, world, as_role, departments):
    db.session.add_all([
        Inspector(department_id=departments["scj"].id, name="李四", cert_no="SC001",
                  cert_expiry=date.today() + timedelta(days=30)),
        Item(department_id=departments["scj"].id, code="SCJ-001", name="食品经营许可检查"),
    ])
    db.session.commit()
    as_role(ADMIN, "scj")
    yjj = world["yjj"]
    inspectors = client.get(f"/inspectors?department={yjj}").get_data(as_text=True)
    assert "李四" in inspectors and "张三" not in inspectors
    items = client.get(f"/items/?department={yjj}").get_data(as_text=True)
    assert "食品经营许可检查" in items and "危险化学品经营许可检查" not in items
    conflicts = client.get("/conflicts").get_data(as_text=True)
    assert "配偶任该单位出纳" not in conflicts
    detail = client.get(f"/subjects/{world['subject']}").get_data(as_text=True)
    assert "河清加油站" in detail and "配偶任该单位出纳" not in detail
    # The conflict form offers only the own department's inspectors: a yjj inspector is not a valid choice.
    client.post("/conflicts", data={"inspector_id": world["inspector"], "credit_code": credit_code(1),
                                    "reason": "同学"})
    assert db.session.scalar(sa.select(sa.func.count(Conflict.id))) == 1
    assert re.search(r"<option[^>]*>李四", client.get("/conflicts").get_data(as_text=True))
