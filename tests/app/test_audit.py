"""The audit trail: every change logged with who, when, before and after; a hash chain that names tampering."""
from __future__ import annotations

import json
import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from coordinator.audit import services as audit
from coordinator.audit.models import AuditEntry, AuditHead
from coordinator.auth.models import Department
from coordinator.campaigns import services as campaigns
from coordinator.campaigns.models import Draw
from coordinator.directories.importers import SUBJECT_COLUMNS, SubjectImporter
from coordinator.directories.models import Conflict, Inspector, Subject, Zone
from coordinator.excel.importing import run_import
from coordinator.excel.writer import write_list
from coordinator.extensions import db
from coordinator.items.models import Item
from coordinator.states import Decision
from coordinator.timeutil import now
from tests.app.county import build_county, campaign_values, credit_code, drawn_campaign
from tests.conftest import login


@pytest.fixture
def county(ctx):
    return build_county()


def entries(*where) -> list[AuditEntry]:
    return db.session.scalars(sa.select(AuditEntry).where(*where).order_by(AuditEntry.seq)).all()


def changes(entry: AuditEntry) -> dict:
    return json.loads(entry.changes)


def last_seq() -> int:
    return db.session.scalar(sa.select(sa.func.max(AuditEntry.seq))) or 0


# ---- what is captured ----------------------------------------------------------------------------


def test_web_changes_are_logged_with_who_when_and_before_after(client, county):
    office = county["users"]["office"]
    login(client, "office")
    start = last_seq()

    client.post("/admin/departments/new", data={"code": "jtj", "name": "交通运输局", "active": "y"})
    department = db.session.scalar(sa.select(Department).where(Department.code == "jtj"))
    client.post(f"/admin/departments/{department.id}", data={"code": "jtj", "name": "交通运输局（港航）", "active": "y"})
    inspector = db.session.scalar(sa.select(Inspector).where(Inspector.cert_no == "139901000"))
    client.post("/conflicts", data={"inspector_id": inspector.id, "credit_code": credit_code(3), "reason": "配偶任出纳"})
    conflict = db.session.scalar(sa.select(Conflict))
    client.post(f"/conflicts/{conflict.id}/delete")

    logged = entries(AuditEntry.seq > start)
    assert {(e.user_id, e.user_name) for e in logged} == {(office.id, "office")}
    assert all(now() - timedelta(minutes=1) <= e.at <= now() for e in logged)

    created, renamed = [e for e in logged if e.entity == "department"]
    assert (created.action, created.entity_id) == ("insert", str(department.id))
    assert changes(created) == {"before": None, "after": {"id": department.id, "code": "jtj", "name": "交通运输局",
                                                          "active": True}}
    # an update names the changed columns only, with what they held before
    assert renamed.action == "update"
    assert changes(renamed) == {"before": {"name": "交通运输局"}, "after": {"name": "交通运输局（港航）"}}

    declared, revoked = [e for e in logged if e.entity == "conflict"]
    assert declared.action == "insert" and changes(declared)["after"]["reason"] == "配偶任出纳"
    assert (revoked.action, revoked.entity_id) == ("delete", str(conflict.id))
    assert changes(revoked)["after"] is None
    assert changes(revoked)["before"] == changes(declared)["after"]  # the whole row as it was


def test_who_is_the_command_line_or_the_system_outside_a_request(county, runner):
    result = runner.invoke(args=["create-user", "zhangsan", "--name", "张三", "--role", "admin",
                                 "--department", "yjj", "--password", "Passw0rd1"])
    assert result.exit_code == 0, result.output
    by_cli = entries(AuditEntry.entity == "user_account", AuditEntry.action == "insert")[-1]
    assert (by_cli.user_id, by_cli.user_name) == (None, "命令行")
    assert changes(by_cli)["after"]["username"] == "zhangsan"

    db.session.add(Zone(name="东湖片区", regions=["东湖街道"]))
    db.session.commit()
    assert entries(AuditEntry.entity == "zone")[-1].user_name == "系统"


def test_log_in_and_log_out_are_logged_a_failure_touches_no_account(client, county):
    start = last_seq()
    client.post("/login", data={"username": "yjj_admin", "password": "Wrong1234"})
    assert entries(AuditEntry.seq > start) == []  # counted by the throttle, which is no account's row
    login(client, "yjj_admin")
    client.post("/logout")
    signed_in, token, signed_out = entries(AuditEntry.seq > start)
    assert changes(token)["after"] == {"session_token": "（已隐藏）"}  # the sessions end with a new token
    user = county["users"]["yjj_admin"]
    assert (signed_in.action, signed_in.entity, signed_in.entity_id, signed_in.user_id) == (
        "login", "user_account", str(user.id), user.id)
    assert changes(signed_in)["after"] == {"address": "127.0.0.1"}
    assert (signed_out.action, signed_out.user_id) == ("logout", user.id)


def test_secrets_are_hidden_and_long_text_is_logged_by_its_hash(county):
    created = entries(AuditEntry.entity == "user_account", AuditEntry.action == "insert")[0]
    after = changes(created)["after"]
    assert after["password_hash"] == after["session_token"] == "（已隐藏）"
    assert "pbkdf2" not in created.changes

    user = county["users"]["scj_officer"]
    user.set_password("Another2024")
    db.session.commit()
    changed = entries(AuditEntry.entity == "user_account", AuditEntry.action == "update")[-1]
    assert changes(changed)["after"] == {"password_hash": "（已隐藏）", "session_token": "（已隐藏）"}

    drawn_campaign(county)
    record = db.session.scalar(sa.select(Draw))
    [locked] = entries(AuditEntry.entity == "draw_record", AuditEntry.action == "insert")
    # the input runs long: logged by length and SHA-256, which is the hash the office publishes
    assert changes(locked)["after"]["problem"] == {"length": len(record.problem), "sha256": record.locked_sha256}


def test_a_draw_gets_an_entry_with_its_seed_and_input_hash(county):
    campaign = drawn_campaign(county, seed="20240603")
    record = db.session.scalar(sa.select(Draw).where(Draw.campaign_id == campaign.id))
    [draw] = entries(AuditEntry.action == "draw")
    assert (draw.entity, draw.entity_id) == ("draw_record", str(record.id))
    assert (draw.user_id, draw.user_name) == (county["users"]["office"].id, "office")
    assert changes(draw)["after"] == {"kind": "subjects", "seed": "20240603", "input_sha256": record.input_sha256}
    # the drawn enterprises, written by the ORM in the same transaction, follow the draw entry
    drawn = entries(AuditEntry.entity == "campaign_subject")
    assert len(drawn) == len(campaign.subjects) and all(e.seq > draw.seq for e in drawn)


def _subjects_file(path, names: dict[int, str]) -> None:
    headers = [c.header for c in SUBJECT_COLUMNS]
    rows = [[{"credit_code": credit_code(n), "name": name, "category": "一般单位"}.get(c.key, "")
             for c in SUBJECT_COLUMNS] for n, name in names.items()]
    write_list(str(path), "名录", None, headers, rows)


def test_an_import_logs_every_row_it_changes_and_a_summary(county, tmp_path):
    path = tmp_path / "名录.xlsx"
    _subjects_file(path, {n: f"新企业{n}" for n in range(100, 130)} | {1: "改名后的测试01有限公司"})
    start = last_seq()
    before = db.session.scalar(sa.select(Subject).where(Subject.credit_code == credit_code(1)))
    old_name = before.name
    report = run_import(SubjectImporter(), path, dry_run=False, filename="河清县名录.xlsx")
    assert (report.created, report.updated) == (30, 1)
    *rows, summary = entries(AuditEntry.seq > start)
    assert (summary.action, summary.entity, summary.user_name) == ("import", "import", "系统")
    assert changes(summary)["after"] == {"rows": "检查对象", "file": "河清县名录.xlsx", "total": 31, "created": 30,
                                         "updated": 1, "unchanged": 0, "refused": 0}
    [renamed] = [e for e in rows if e.action == "update"]
    assert (renamed.entity, renamed.entity_id) == ("subject", str(before.id))
    before_values, after_values = changes(renamed)["before"], changes(renamed)["after"]
    assert (before_values["name"], after_values["name"]) == (old_name, "改名后的测试01有限公司")
    assert (before_values["address"], after_values["address"]) == ("测试路1号", "")  # the file left it blank
    assert "credit_code" not in after_values and "category" not in after_values  # unchanged: not logged
    created = [e for e in rows if e.action == "insert"]
    ids = dict(db.session.execute(sa.select(Subject.credit_code, Subject.id)).all())
    assert sorted(e.entity_id for e in created) == sorted(str(ids[credit_code(n)]) for n in range(100, 130))
    assert changes(created[0])["after"]["name"].startswith("新企业")

    run_import(SubjectImporter(), path, dry_run=True)
    assert last_seq() == summary.seq  # a dry run changes nothing and logs nothing


def test_a_rolled_back_change_leaves_no_entry_and_no_gap(county):
    start = last_seq()
    db.session.add(Zone(name="作废片区", regions=[]))
    db.session.flush()
    assert last_seq() == start + 1  # written in the transaction ...
    db.session.rollback()
    assert last_seq() == start  # ... and gone with it
    db.session.add(Zone(name="北关片区", regions=[]))
    db.session.commit()
    assert [e.seq for e in entries(AuditEntry.seq > start)] == [start + 1]
    assert audit.verify().broken is None


def test_values_are_json_safe(county):
    inspector = db.session.scalar(sa.select(Inspector).where(Inspector.cert_no == "139901000"))
    before = inspector.cert_expiry
    inspector.cert_expiry = before + timedelta(days=365)
    inspector.tags = ["危险化学品", "烟花爆竹"]
    db.session.commit()
    [entry] = entries(AuditEntry.entity == "inspector", AuditEntry.action == "update")
    assert changes(entry) == {"before": {"cert_expiry": before.isoformat(), "tags": ["危险化学品"]},
                              "after": {"cert_expiry": inspector.cert_expiry.isoformat(),
                                        "tags": ["危险化学品", "烟花爆竹"]}}


def test_a_change_to_an_expired_object_still_knows_the_old_value(county):
    subject = db.session.scalar(sa.select(Subject).where(Subject.credit_code == credit_code(5)))
    old = subject.name
    db.session.commit()  # expires `subject`: the session no longer holds its name
    subject.name = "新名称有限公司"
    db.session.commit()
    [entry] = entries(AuditEntry.entity == "subject", AuditEntry.action == "update")
    assert changes(entry) == {"before": {"name": old}, "after": {"name": "新名称有限公司"}}

    db.session.delete(subject)  # expired again by the commit: the deletion still logs the whole row
    db.session.commit()
    [deleted] = entries(AuditEntry.entity == "subject", AuditEntry.action == "delete")
    assert changes(deleted)["before"]["name"] == "新名称有限公司"
    assert changes(deleted)["before"]["credit_code"] == credit_code(5)


# ---- the chain -----------------------------------------------------------------------------------


def _tamper(sql: str, **params) -> None:
    db.session.execute(sa.text(sql), params)
    db.session.commit()


def test_the_chain_holds_through_the_workflow_and_names_tampering(client, county, runner, tmp_path):
    office = county["users"]["office"]
    campaign = drawn_campaign(county)
    for cd in campaign.departments:
        pending = campaigns.pending_confirmations(campaign, cd.department_id)
        campaigns.confirm(campaign, cd.department_id, {cs.id: (Decision.CONFIRMED, "") for cs in pending}, office)
    campaigns.lock_and_run_team_draw(campaign, "7", "见证人", office)
    db.session.commit()
    member = next(cs for cs in campaign.subjects if cs.active_members).active_members[0]
    campaigns.recuse(campaign, member, "近亲属在该单位任职", office)
    db.session.commit()
    login(client, "office")
    assert client.post(f"/campaigns/{campaign.id}/dispatch").status_code in (302, 303)
    subject = db.session.scalar(sa.select(Subject).where(Subject.credit_code == credit_code(40)))
    client.post(f"/subjects/{subject.id}/status", data={"status": "suspended", "reason": "现场核实已停业"})
    path = tmp_path / "名录.xlsx"
    _subjects_file(path, {n: f"补充企业{n}" for n in range(200, 210)})
    run_import(SubjectImporter(office.id), path, dry_run=False)
    # A department changing its mind: its earlier choice is deleted as orphans, and logged as such.
    later = campaigns.create_campaign(campaign_values(name="第二次联合抽查", burden_months=0), county["yjj"],
                                      [county["scj"]], office)
    db.session.flush()
    items = list(db.session.scalars(sa.select(Item.id).where(Item.department_id == county["yjj"].id)))
    campaigns.submit_items(later, county["yjj"].id, items, "", office)
    db.session.commit()
    campaigns.submit_items(later, county["yjj"].id, items[:1], "", office)
    db.session.commit()
    dropped = entries(AuditEntry.entity == "campaign_item", AuditEntry.action == "delete")
    assert sorted(changes(e)["before"]["item_id"] for e in dropped) == sorted(items)  # replaced as a whole

    total = last_seq()
    assert total > 200
    assert {e.action for e in entries()} == {"insert", "update", "delete", "draw", "import", "login"}
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"审计日志完好：共{total}条记录，哈希链连续、无改动。"

    # An entry altered in the database.
    victim = total // 2
    original = db.session.scalar(sa.select(AuditEntry.changes).where(AuditEntry.seq == victim))
    _tamper("UPDATE audit_entry SET changes = :c WHERE seq = :s", c=original.replace("}", ',"x":1}', 1), s=victim)
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert f"第{victim}条审计记录的内容与其哈希值不符" in result.output

    # Altered and given a fresh hash: the next entry's link names it.
    row = db.session.execute(sa.select(AuditEntry.__table__).where(AuditEntry.seq == victim)).one()
    forged = audit.entry_hash(row.seq, row.at, row.user_id, "office", row.action, row.entity, row.entity_id,
                              row.changes, row.prev_hash)
    _tamper("UPDATE audit_entry SET user_name = 'office', hash = :h WHERE seq = :s", h=forged, s=victim)
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1 and f"第{victim}条审计记录被改写" in result.output

    _tamper("UPDATE audit_entry SET changes = :c, user_name = :u, hash = :h WHERE seq = :s",
            c=original, u=row.user_name, h=db.session.scalar(sa.select(AuditEntry.prev_hash)
                                                             .where(AuditEntry.seq == victim + 1)), s=victim)
    assert runner.invoke(args=["audit-verify"]).exit_code == 0  # put back as it was: whole again

    # An entry removed.
    _tamper("DELETE FROM audit_entry WHERE seq = :s", s=victim + 3)
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert f"第{victim + 3}条审计记录缺失" in result.output
    assert result.output.count("\n") == 1  # one line


def test_removing_the_newest_entries_is_caught_by_the_head(county, runner):
    total = last_seq()
    _tamper("DELETE FROM audit_entry WHERE seq >= :s", s=total - 1)
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1 and f"第{total - 1}～{total}条审计记录缺失（末尾被删除）" in result.output


def test_an_empty_log_verifies(app, runner):
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0 and "共0条记录" in result.output


def test_concurrent_transactions_append_to_one_chain(app):
    """Eight writers at once, half through the ORM, half by hand-made entries that are their transaction's first
    statement: every entry gets its own number and the chain does not fork."""
    errors = []

    def writer(n: int) -> None:
        try:
            with app.app_context():
                for k in range(5):
                    if n % 2:
                        db.session.add(Zone(name=f"片区{n}-{k}", regions=[f"乡镇{n}"]))
                    else:
                        audit.log("draw", "draw_record", n * 10 + k, None, {"seed": f"{n}-{k}"})
                    db.session.commit()
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below: an exception in a thread would pass unseen
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert [e.seq for e in entries()] == list(range(1, 41))
        assert audit.verify() == audit.Verdict(40)
        head = db.session.get(AuditHead, audit.HEAD_ID)
        assert (head.seq, head.hash) == (40, entries()[-1].hash)


def test_the_log_cannot_be_edited_through_the_app(app, county):
    entry = entries()[0]
    entry.user_name = "别人"
    with pytest.raises(RuntimeError, match="只能追加"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(entries()[0])
    with pytest.raises(RuntimeError, match="只能追加"):
        db.session.commit()
    db.session.rollback()
    audit_rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("audit.")]
    assert audit_rules and all(r.methods - {"HEAD", "OPTIONS"} == {"GET"} for r in audit_rules)
    assert audit.verify().broken is None


# ---- browsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["yjj_admin", "yjj_officer"])
def test_only_the_office_may_read_the_log(client, county, username):
    login(client, username)
    response = client.get("/audit/")
    assert response.status_code == 403 and "无权访问" in response.get_data(as_text=True)
    assert "审计日志" not in client.get("/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(client, county):
    response = client.get("/audit/")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_the_office_browses_and_filters_the_log(client, county):
    login(client, "office")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/audit/"' in home and "审计日志" in home

    db.session.add(Zone(name="审计测试片区", regions=["测试镇"]))
    db.session.commit()
    subject = db.session.scalar(sa.select(Subject).where(Subject.credit_code == credit_code(7)))
    client.post(f"/subjects/{subject.id}/status", data={"status": "deregistered", "reason": "已办理注销登记"})
    total = last_seq()

    page = client.get("/audit/").get_data(as_text=True)
    assert f"共 {total:,} 条" in page and "下一页" in page  # the county alone is more than one page
    assert "经营状态变更" in page and "由 存续 改为 注销" in page and "已办理注销登记" in page
    first = '<td class="num">1</td>'  # newest first: entry 1 is on the last page
    assert first not in page and first in client.get(f"/audit/?page={(total + 49) // 50}").get_data(as_text=True)

    def rows(**args) -> int:
        return max(client.get("/audit/", query_string=args).get_data(as_text=True).count("<tr>") - 1, 0)

    assert rows(entity="zone") == 3  # two from the county, one here
    assert rows(entity="subject", entity_id=str(subject.id)) == 2  # built, then its status changed
    assert rows(user="office") == 3  # the log-in, the status change and its record
    assert rows(user="系统", entity="zone") == 3
    assert rows(q="已办理注销登记") == 1
    assert rows(q="审计测试片区") == 1
    today = now().date()
    assert rows(entity="zone", start=today.isoformat(), end=today.isoformat()) == 3
    assert rows(entity="zone", end=(today - timedelta(days=1)).isoformat()) == 0
    assert "没有符合条件的审计记录" in client.get("/audit/?q=不存在的内容").get_data(as_text=True)
    bad = client.get("/audit/?start=2024-13-45&entity=zone")
    assert bad.status_code == 200 and "格式不正确" in bad.get_data(as_text=True)
    assert rows(start="2024-13-45", entity="zone") == 3  # the bad date is ignored, the rest applies


# Written by Core statements only (never through the ORM, so never in the log).
CORE_ONLY = {"login_throttle", "named_lock", "spent_token"}


def test_every_logged_table_column_and_action_reads_in_chinese(app):
    """A table, column or action added without its label shows the office an English word (seed_round,
    commit_deadline, feedback_working_days … did)."""
    import ast
    import pathlib

    from coordinator.audit.routes import ACTION_LABELS, ENTITY_LABELS, _field_label
    from coordinator.audit.wording import VERBS

    logged = [t for t in db.metadata.tables.values() if t.name not in audit.NOT_AUDITED | CORE_ONLY]
    assert not [t.name for t in logged if t.name not in ENTITY_LABELS]
    unlabelled = [f"{t.name}.{c.name}" for t in logged for c in t.columns if _field_label(t.name, c.name) == c.name]
    assert not unlabelled
    # every action a hand-made entry is written with: audit.log("…") / log_event("…")
    actions = set()
    for path in pathlib.Path(audit.__file__).parents[1].rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                    "log", "log_event") and node.args and isinstance(node.args[0], ast.Constant):
                actions.add(node.args[0].value)
            if isinstance(node, ast.IfExp) and isinstance(node.body, ast.Constant) and str(node.body.value).endswith(
                    "_visit"):
                actions.update({node.body.value, node.orelse.value})
    assert {"seed", "make_accounts", "agree_visit", "api"} <= actions
    assert not [a for a in actions if a not in ACTION_LABELS or a not in VERBS]


def test_a_seed_round_reads_as_sentences(client, county):
    """The seed's entry names the parties by name, and no field shows its code name."""
    from coordinator.audit.routes import ENTITY_LABELS, _field_label
    from coordinator.audit.wording import Wording
    from tests.app.county import submit_all_items
    from tests.app.seeding import service_round

    users = county["users"]
    campaign = campaigns.create_campaign(campaign_values(), county["yjj"], [county["scj"]], users["office"])
    db.session.flush()
    submit_all_items(campaign, county)
    service_round(campaign, "subjects", {"office": users["office"], "dept:yjj": users["yjj_admin"],
                                         "dept:scj": users["scj_admin"]}, users["office"])
    db.session.commit()
    login(client, "office")
    page = client.get("/audit/?entity=seed_round").get_data(as_text=True)
    assert "算出了随机种子" in page and "种子产生方式：各方共同产生" in page
    contributions = client.get("/audit/?entity=seed_contribution").get_data(as_text=True)
    assert "承诺值：由 （空） 改为 指纹" in contributions and "揭示人：由 （空） 改为 scj_admin" in contributions
    shown = re.sub(r"<[^>]+>", " ", page + contributions)  # what a clerk reads, not the form's values
    for word in ("seed_round", "commit_deadline", "opened_by_id", "dept:", " seed ", "commitment", "committed_by_id",
                 "revealed_at", "round_id", "slot"):
        assert word not in shown, word
    said = Wording([], ENTITY_LABELS, _field_label)
    assert said.value("seed_round", "left_out", ["dept:scj", "witness"]) == "市场监督管理局、见证人"
    # a plan task version keeps its departments by name
    assert said.value("plan_task_version", "data", {"initiating_department": "应急管理局", "joint_departments": [
        "市场监督管理局"]}) == "发起部门：应急管理局；联合部门：市场监督管理局"



@pytest.mark.parametrize("which", ["audit_key", "secret_key"])
def test_processes_starting_together_share_one_key(which, tmp_path, monkeypatch):
    """Two server workers (or two test runs) that both find no key file must both end up with the one key that
    won, without an error: the second one here sees no file (as it did a moment before the first wrote it)."""
    from pathlib import Path

    from coordinator import config
    from coordinator.audit import seal

    for name in ("AUDIT_KEY", "AUDIT_KEY_FILE", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    load = seal.load_key if which == "audit_key" else config._secret_key
    first = load(str(tmp_path))
    monkeypatch.setattr(Path, "exists", lambda self: False)  # it checked before the first process wrote the file
    second = load(str(tmp_path))
    monkeypatch.undo()
    assert second == first and len(first) == 64
    assert sorted(p.name for p in tmp_path.iterdir()) == [which]  # no draft left behind
    assert (tmp_path / which).stat().st_mode & 0o777 == 0o600
