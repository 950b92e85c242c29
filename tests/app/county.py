"""A small county built directly in the database, for workflow tests whose right answers are known."""
from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from coordinator.auth.models import Department, User
from coordinator.campaigns import rules, services
from coordinator.directories import creditcode
from coordinator.directories.models import Inspector, Subject, Zone
from coordinator.draws import services as rounds
from coordinator.extensions import db
from coordinator.followups.models import FollowUp
from coordinator.items.models import Item
from coordinator.results import services as results
from coordinator.results.models import Attachment
from coordinator.states import Decision, FollowUpKind, FollowUpStatus

PASSWORD = "Passw0rd1"
# The test inspectors' certificates are valid on any day the suite runs, and on the visits a test moves a year
# ahead of that day (test_field's _future_campaign): the suite ran green until 2030 and failed from then on.
CERTIFIED_UNTIL = date(2099, 12, 31)


def credit_code(n: int) -> str:
    body = f"91139901MA{n:07d}"
    return body + creditcode.check_character(body)


def build_county(subjects: int = 40) -> dict:
    yjj = Department(code="yjj", name="应急管理局")
    scj = Department(code="scj", name="市场监督管理局")
    hbj = Department(code="hbj", name="生态环境分局")  # takes part in nothing: its people see nothing
    db.session.add_all([yjj, scj, hbj, Zone(name="城关片区", regions=["城关镇"]), Zone(name="河西片区", regions=["河西镇"])])
    db.session.flush()
    users = {}
    for username, role, department in [("office", "office", None), ("yjj_admin", "admin", yjj),
                                       ("yjj_officer", "officer", yjj), ("scj_admin", "admin", scj),
                                       ("scj_officer", "officer", scj), ("hbj_admin", "admin", hbj)]:
        user = User(username=username, display_name=username, role=role, department=department)
        user.set_password(PASSWORD)
        users[username] = user
        db.session.add(user)
    db.session.add_all([
        Item(department=yjj, code="YJJ-001", name="危险化学品企业安全检查", industries="危险化学品", materials="安全生产许可证"),
        Item(department=yjj, code="YJJ-002", name="工贸企业安全检查", industries="工贸", materials="安全管理制度"),
        Item(department=scj, code="SCJ-001", name="登记事项检查", industries="全部", materials="营业执照"),
    ])
    for n in range(1, subjects + 1):
        db.session.add(Subject(
            credit_code=credit_code(n), name=f"河清县测试{n:02d}有限公司", category="一般单位",
            industry="危险化学品" if n % 4 == 0 else "工贸", region="城关镇" if n % 2 else "河西镇",
            risk_class="ABCD"[n % 4], address=f"测试路{n}号"))
    for code, department, count in (("1399010", yjj, 8), ("1399020", scj, 6)):
        for k in range(count):
            db.session.add(Inspector(
                department=department, name=f"{department.code}执法员{k}", cert_no=f"{code}{k:02d}",
                cert_expiry=CERTIFIED_UNTIL, can_lead=department is yjj, mobile=f"1380000{k:04d}",
                tags=["危险化学品"] if department is yjj and k < 4 else [],
                zone="城关片区" if k % 2 else "河西片区"))
    db.session.commit()
    return {"yjj": yjj, "scj": scj, "hbj": hbj, "users": users}


def campaign_values(**changes) -> dict:
    values = {
        "name": "2024年度测试联合抽查", "field": "应急管理领域",
        "period_start": date(2024, 5, 27), "period_end": date(2024, 7, 31), "items_deadline": date(2024, 5, 31),
        "visit_start": date(2024, 6, 11), "visit_end": date(2024, 6, 28),
        "scope": {"industries": ["危险化学品", "工贸"]},
        "strata": [{"id": "全部", "category": "*", "crowded": None, "mode": "ratio", "value": 0.5}],
        "risk_weights": rules.DEFAULT_RISK_WEIGHTS, "must_flags": [], "expertise_industries": ["危险化学品"],
        "burden_months": 12, "team_size": 2, "inspector_capacity": 10, "daily_capacity": 2,
        "max_pair_probability": None,
    }
    values.update(changes)
    return values


def submit_all_items(campaign, county: dict, user=None) -> None:
    """yjj and scj each submit every item they have for the campaign."""
    for code in ("yjj", "scj"):
        ids = list(db.session.scalars(sa.select(Item.id).where(Item.department_id == county[code].id)))
        services.submit_items(campaign, county[code].id, ids, "", user or county["users"][f"{code}_admin"])


def confirm_all(campaign, user) -> None:
    """Every department confirms every enterprise still waiting for it."""
    for campaign_department in campaign.departments:
        pending = services.pending_confirmations(campaign, campaign_department.department_id)
        services.confirm(campaign, campaign_department.department_id, {cs.id: (Decision.CONFIRMED, "") for cs in pending}, user)


def drawn_campaign(county: dict, seed: str = "42", **changes):
    """A campaign with both departments' items submitted, locked and drawn."""
    users = county["users"]
    campaign = services.create_campaign(campaign_values(**changes), county["yjj"], [county["scj"]], users["office"])
    db.session.flush()
    submit_all_items(campaign, county)
    services.lock_subject_draw(campaign, users["office"])
    services.run_subject_draw(campaign, seed, "见证人", users["office"])
    db.session.commit()
    return campaign


def dispatched_county_campaign(county: dict):
    """The small county's campaign drawn, confirmed, teamed and dispatched: every enterprise staffed, records open."""
    campaign = drawn_campaign(county)
    office = county["users"]["office"]
    confirm_all(campaign, office)
    services.lock_and_run_team_draw(campaign, "7", "", office)
    services.dispatch(campaign)
    db.session.commit()
    return campaign


def dispatched_campaign(departments, office, yjj_item) -> dict:
    """yjj (lead) and scj inspect 工贸 enterprises together (one of two drawn): drawn, confirmed, teamed and
    dispatched, with a photo on yjj's result on the joint record. As small as the workflow allows: it runs often."""
    yjj, scj = departments["yjj"], departments["scj"]
    for n in range(101, 103):
        db.session.add(Subject(credit_code=credit_code(n), name=f"河清县联查{n}号公司", category="一般单位",
                               industry="工贸", region="城关镇"))
    for department, count in ((yjj, 2), (scj, 2)):
        for k in range(count):
            db.session.add(Inspector(department=department, name=f"{department.name}执法员{k}",
                                     cert_no=f"{department.code.upper()}9{k:02d}", cert_expiry=CERTIFIED_UNTIL,
                                     can_lead=True))
    scj_item = Item(department=scj, code="SCJ-001", name="登记事项检查")
    db.session.add(scj_item)
    campaign = services.create_campaign(campaign_values(), yjj, [scj], office)
    db.session.flush()
    services.submit_items(campaign, yjj.id, [yjj_item.id], "", office)
    services.submit_items(campaign, scj.id, [scj_item.id], "", office)
    services.lock_subject_draw(campaign, office)
    services.run_subject_draw(campaign, "20240603", "见证人", office)
    confirm_all(campaign, office)
    seeding = rounds.open_fallback(campaign, "teams", office, fallback_reason="测试：见证人报出种子", witness="见证人")
    draw = rounds.run_round(seeding, office, "20240607")
    services.dispatch(campaign)
    db.session.flush()
    cs = next(cs for cs in campaign.subjects if cs.active_members)
    member = next(m for m in cs.active_members if m.department_id == yjj.id)
    department_result = next(p for p in cs.record.department_results if p.department_id == yjj.id)
    stored = f"{uuid.uuid4().hex}.png"
    folder = Path(current_app.config["ATTACHMENT_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored).write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    attachment = Attachment(department_result=department_result, filename="现场.png", stored_as=stored, uploaded_by_id=office.id)
    db.session.add(attachment)
    follow_up = FollowUp(kind=FollowUpKind.RECTIFICATION, department_id=yjj.id, started_on=date(2024, 7, 1),
                         rectify_by=date(2024, 7, 15), status=FollowUpStatus.ORDERED, due_on=date(2024, 7, 15))
    department_result.follow_up_rows.append(follow_up)  # yjj ordered it: yjj's to follow up
    db.session.commit()
    return {"campaign": campaign.id, "cs": cs.id, "member": member.id, "draw": draw.id, "round": seeding.id,
            "record": cs.record.id, "department_result": department_result.id, "attachment": attachment.id,
            "follow_up": follow_up.id}


def report_and_publish(record, user, evaluation: str = "安全管理制度基本健全", handling: str = "按各部门检查结果处理"):
    """The lead department's inspection report, then publication: seed 003's order, which publish enforces."""
    results.write_report(record, evaluation, handling, user)
    results.publish(record, user)
