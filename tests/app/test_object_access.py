"""Object-level access: every route that takes an object id, as every department role, with another department's ids.

The world is the authorisation matrix's: 应急管理局 (yjj) owns the inspector, item, recusal, plan and a campaign it
leads, in which 市场监督管理局 (scj) takes part and 消防救援大队 (xfj) does not. Each route says which roles of scj
and xfj may act on yjj's objects; every other role must get the 403 page, and a refused request may change nothing
(the audit log gains only the refusal itself). A new id-taking route fails `test_every_id_taking_route_is_listed`
until it is given its row here.
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from coordinator.audit.models import AuditEntry
from coordinator.auth.models import User
from coordinator.directories.models import Inspector
from coordinator.extensions import db
from coordinator.plans.models import Plan
from coordinator.plans.services import add_task
from tests.app.test_access import make_world, with_campaign
from tests.conftest import login

EVERYONE = "every department"  # a county-wide object: any signed-in user of any department
PARTICIPANTS = "departments taking part"  # scj's admin and officer (the campaign's partner), not xfj's
PARTICIPANT_ADMIN = "the partner's admin"  # scj's admin only
NOBODY = "nobody but the owner"  # yjj's own rows, the lead department's acts, and everything for the office

# (method, rule) → who of another department may act on yjj's object.
ACCESS = {
    ("GET", "/admin/departments/<int:department_id>"): NOBODY,
    ("POST", "/admin/departments/<int:department_id>"): NOBODY,
    ("GET", "/admin/users/<int:user_id>"): NOBODY,
    ("POST", "/admin/users/<int:user_id>"): NOBODY,
    ("POST", "/admin/users/<int:user_id>/unlock"): NOBODY,
    ("GET", "/campaigns/<int:campaign_id>"): PARTICIPANTS,
    ("GET", "/campaigns/<int:campaign_id>/confirm"): PARTICIPANT_ADMIN,
    ("POST", "/campaigns/<int:campaign_id>/confirm"): PARTICIPANT_ADMIN,
    ("POST", "/campaigns/<int:campaign_id>/dispatch"): NOBODY,
    ("GET", "/campaigns/<int:campaign_id>/dispatch.xlsx"): NOBODY,  # the lead department's list
    ("GET", "/campaigns/<int:campaign_id>/draws/<int:draw_id>.json"): NOBODY,  # a teams draw: the office audits it
    ("GET", "/campaigns/<int:campaign_id>/draws/<int:draw_id>/pairs.csv"): NOBODY,
    ("GET", "/campaigns/<int:campaign_id>/experts"): PARTICIPANTS,
    ("GET", "/experts/<int:expert_id>/edit"): NOBODY,  # yjj's specialist: the office and yjj's admin
    ("POST", "/experts/<int:expert_id>/edit"): NOBODY,
    ("POST", "/experts/<int:expert_id>/active"): NOBODY,
    ("POST", "/campaigns/<int:campaign_id>/experts"): NOBODY,  # the office sets the industries
    ("GET", "/campaigns/<int:campaign_id>/items"): PARTICIPANTS,
    ("POST", "/campaigns/<int:campaign_id>/items"): PARTICIPANT_ADMIN,
    ("GET", "/campaigns/<int:campaign_id>/members/<int:member_id>/recuse"): NOBODY,  # a yjj inspector's seat
    ("POST", "/campaigns/<int:campaign_id>/members/<int:member_id>/recuse"): NOBODY,
    ("GET", "/campaigns/<int:campaign_id>/notices/<int:cs_id>"): PARTICIPANTS,
    ("GET", "/campaigns/<int:campaign_id>/records.xlsx"): PARTICIPANTS,
    ("GET", "/campaigns/<int:campaign_id>/records/<int:cs_id>"): PARTICIPANTS,
    ("GET", "/campaigns/<int:campaign_id>/records/<int:cs_id>.xlsx"): PARTICIPANTS,
    ("POST", "/campaigns/<int:campaign_id>/rounds"): NOBODY,
    ("GET", "/campaigns/<int:campaign_id>/scheme"): PARTICIPANTS,  # a special inspection's filed plan
    ("GET", "/campaigns/<int:campaign_id>/rounds/<int:round_id>"): PARTICIPANTS,
    ("POST", "/campaigns/<int:campaign_id>/rounds/<int:round_id>/close"): NOBODY,
    ("POST", "/campaigns/<int:campaign_id>/rounds/<int:round_id>/commit"): PARTICIPANT_ADMIN,
    ("POST", "/campaigns/<int:campaign_id>/rounds/<int:round_id>/fallback"): NOBODY,
    ("POST", "/campaigns/<int:campaign_id>/rounds/<int:round_id>/reveal"): PARTICIPANT_ADMIN,
    ("POST", "/campaigns/<int:campaign_id>/rounds/<int:round_id>/run"): NOBODY,
    ("POST", "/campaigns/<int:campaign_id>/rounds/fallback"): NOBODY,
    ("POST", "/campaigns/<int:campaign_id>/staffing"): NOBODY,
    ("GET", "/campaigns/<int:campaign_id>/subjects"): PARTICIPANTS,
    ("POST", "/campaigns/<int:campaign_id>/subjects/<int:cs_id>/drop"): NOBODY,
    ("GET", "/campaigns/<int:campaign_id>/teams"): PARTICIPANTS,
    ("GET", "/campaigns/<int:campaign_id>/visits"): NOBODY,  # the lead department agrees the visit dates
    ("POST", "/campaigns/<int:campaign_id>/visits/<int:cs_id>"): NOBODY,
    ("POST", "/campaigns/<int:campaign_id>/visits/agree-all"): NOBODY,
    ("POST", "/conflicts/<int:conflict_id>/delete"): NOBODY,
    ("POST", "/exchange/api-clients/<int:client_id>/revoke"): NOBODY,
    ("GET", "/follow-ups/<int:follow_up_id>"): NOBODY,  # yjj's rectification: a transfer's receiver reads its own
    ("POST", "/follow-ups/<int:follow_up_id>"): NOBODY,
    ("GET", "/inspectors/<int:inspector_id>"): NOBODY,
    ("POST", "/inspectors/<int:inspector_id>/active"): NOBODY,
    ("GET", "/inspectors/<int:inspector_id>/edit"): NOBODY,
    ("POST", "/inspectors/<int:inspector_id>/edit"): NOBODY,
    ("GET", "/items/<int:item_id>"): NOBODY,
    ("POST", "/items/<int:item_id>/active"): NOBODY,
    ("GET", "/items/<int:item_id>/edit"): NOBODY,
    ("POST", "/items/<int:item_id>/edit"): NOBODY,
    ("GET", "/plans/<int:plan_id>"): EVERYONE,  # the annual plan is public (seed 000)
    ("GET", "/coverage/rules/<int:rule_id>"): NOBODY,  # the office configures coverage rules
    ("POST", "/coverage/rules/<int:rule_id>"): NOBODY,
    ("GET", "/plans/monthly/<int:monthly_id>"): NOBODY,  # a department's monthly plan: its own and the office's
    ("GET", "/plans/monthly/<int:monthly_id>.xlsx"): NOBODY,
    ("POST", "/plans/monthly/<int:monthly_id>/entries"): NOBODY,
    ("POST", "/plans/monthly/<int:monthly_id>/entries/<int:entry_id>/delete"): NOBODY,
    ("POST", "/plans/monthly/<int:monthly_id>/confirm"): NOBODY,
    ("POST", "/plans/monthly/<int:monthly_id>/repropose"): NOBODY,
    ("GET", "/plans/monthly/<int:monthly_id>/draw.json"): NOBODY,
    ("POST", "/plans/monthly/<int:monthly_id>/campaign"): NOBODY,
    ("POST", "/plans/<int:plan_id>"): NOBODY,
    ("GET", "/plans/<int:plan_id>/tasks/<int:task_id>/edit"): NOBODY,
    ("POST", "/plans/<int:plan_id>/tasks/<int:task_id>/edit"): NOBODY,
    ("POST", "/plans/<int:plan_id>/tasks/<int:task_id>/delete"): NOBODY,
    ("POST", "/admin/inspector-accounts/<int:user_id>/reset"): NOBODY,  # a yjj inspector's own account
    ("GET", "/public/campaigns/<int:campaign_id>"): EVERYONE,
    ("GET", "/results/<int:record_id>"): PARTICIPANTS,  # scj visits the enterprise too
    ("GET", "/results/<int:record_id>/entry"): PARTICIPANTS,  # its own part of the record
    ("POST", "/results/<int:record_id>/entry"): PARTICIPANTS,
    ("POST", "/results/<int:record_id>/photos"): PARTICIPANTS,  # to its own part
    ("POST", "/results/<int:record_id>/review"): NOBODY,  # the lead department's admin's act
    ("POST", "/results/<int:record_id>/report"): NOBODY,  # the lead department's (or the team leader's)
    ("GET", "/results/<int:record_id>/notice"): PARTICIPANTS,
    ("POST", "/results/<int:record_id>/notice"): NOBODY,
    ("GET", "/results/photos/<int:attachment_id>"): PARTICIPANTS,
    ("GET", "/subjects/<int:subject_id>"): EVERYONE,  # the county's directory
    ("GET", "/subjects/<int:subject_id>/file.xlsx"): EVERYONE,  # 一企一档, as each user may read it
    ("GET", "/subjects/<int:subject_id>/edit"): NOBODY,
    ("POST", "/subjects/<int:subject_id>/edit"): NOBODY,
    ("POST", "/subjects/<int:subject_id>/status"): NOBODY,
}
ALLOWED = {
    EVERYONE: {"scj_admin", "scj_officer", "xfj_admin", "xfj_officer"},
    PARTICIPANTS: {"scj_admin", "scj_officer"},
    PARTICIPANT_ADMIN: {"scj_admin"},
    NOBODY: set(),
}
ROLES = ("scj_admin", "scj_officer", "xfj_admin", "xfj_officer", "scj_inspector", "xfj_inspector")
# An inspector's own account (role "inspector", on no team here) may never do more than its department's officer:
# where the officer is refused, so is it; what it may read beyond that is its own team's, not checked here.
AS_OFFICER = {"scj_inspector": "scj_officer", "xfj_inspector": "xfj_officer"}
# The world's row for each URL parameter; a route on the campaign still collecting items names that one.
PARAMETERS = {"department_id": "department", "user_id": "user", "campaign_id": "campaign", "draw_id": "draw",
              "member_id": "member", "cs_id": "cs", "round_id": "round", "conflict_id": "conflict",
              "client_id": "client", "inspector_id": "inspector", "item_id": "item", "plan_id": "plan",
              "record_id": "record", "department_result_id": "department_result", "attachment_id": "attachment",
              "subject_id": "subject", "task_id": "task",
              "follow_up_id": "follow_up", "monthly_id": "monthly", "entry_id": "monthly_entry",
              "rule_id": "coverage_rule", "expert_id": "expert"}
COLLECTING = {"/campaigns/<int:campaign_id>/items"}
PARAMETER = re.compile(r"<int:(\w+)>")


def id_routes(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules() if "<int:" in rule.rule
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_id_taking_route_is_listed(app):
    routes = id_routes(app)
    assert routes - set(ACCESS) == set(), "give each new id-taking route its row in ACCESS"
    assert set(ACCESS) - routes == set(), "stale rows in ACCESS"
    named = {name for _method, rule in routes for name in PARAMETER.findall(rule)}
    assert named <= set(PARAMETERS), f"give the world a row for {named - set(PARAMETERS)}"


def _url(rule: str, world: dict) -> str:
    def fill(match):
        name = PARAMETERS[match.group(1)]
        return str(world["collecting" if rule in COLLECTING and name == "campaign" else name])

    return PARAMETER.sub(fill, rule)


@pytest.fixture
def world(departments):
    ids = with_campaign(departments, make_world(departments))
    for code in ("scj", "xfj"):
        for role in ("admin", "officer", "inspector"):
            inspector = None
            if role == "inspector":  # a person of the department on no team of the campaign
                inspector = Inspector(department_id=departments[code].id, name=f"{code}个人账号",
                                      cert_no=f"{code.upper()}ACC1")
                db.session.add(inspector)
                db.session.flush()
            _account(f"{code}_{role}", role, departments[code].id, inspector)
    # The account a user_id names is yjj's: an inspector's own account, which only yjj's admin may reset.
    yjj_person = Inspector(department_id=departments["yjj"].id, name="yjj个人账号", cert_no="YJJACC1")
    db.session.add(yjj_person)
    db.session.flush()
    ids["user"] = _account("yjj_inspector", "inspector", departments["yjj"].id, yjj_person).id
    plan = db.session.get(Plan, ids["plan"])
    task = add_task(plan, {"name": "年度任务", "task_type": "不定向", "ratio": "5%", "items": "危险化学品",
                                  "scope": "全县", "start_month": "2024-05", "end_month": "2024-07"},
                    [departments["scj"].id])
    db.session.commit()
    ids["task"] = task.id
    return ids


def _account(username: str, role: str, department_id: int, inspector=None) -> User:
    user = User(username=username, display_name=username, role=role, department_id=department_id,
                inspector_id=inspector.id if inspector else None)
    user.set_password("Passw0rd1")
    db.session.add(user)
    db.session.flush()
    return user


def _changes_since(seq: int) -> list[str]:
    """What the audit log gained: every change of state lands there, so a refused request must add only its refusal."""
    return [e.action for e in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.seq > seq).order_by(AuditEntry.seq))
            if e.action not in ("denied", "login", "download")]


@pytest.mark.parametrize("role", ROLES)
def test_another_departments_objects_through_every_id_taking_route(app, world, role):
    client = app.test_client()
    login(client, role)
    wrong = {}
    for (method, rule), who in sorted(ACCESS.items()):
        url = _url(rule, world)
        seq = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(AuditEntry.seq), 0)))
        response = client.get(url) if method == "GET" else client.post(url, data={})
        response.get_data()
        response.close()
        allowed = AS_OFFICER.get(role, role) in ALLOWED[who]
        if role in AS_OFFICER and allowed:
            continue  # what an inspector's own account may read of its department's work is not this test's
        if allowed and response.status_code in (403, 500):
            wrong[f"{method} {url}"] = f"{response.status_code}, but {who} may"
        elif not allowed:
            if response.status_code != 403 or "无权访问" not in response.get_data(as_text=True):
                wrong[f"{method} {url}"] = f"{response.status_code} instead of the 403 page"
            elif changed := _changes_since(seq):
                wrong[f"{method} {url}"] = f"refused, yet the log gained {changed}"
    assert wrong == {}
