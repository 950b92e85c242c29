"""What an attacker got through (issue 11), one regression test per finding: each fails on the code it fixed."""
from __future__ import annotations

import io
import json
import statistics
import time
import zipfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from coordinator.audit import seal
from coordinator.audit import services as audit
from coordinator.audit.models import AuditEntry, AuditHead
from coordinator.auth import services as auth
from coordinator.auth.models import User
from coordinator.campaigns import services as campaigns
from coordinator.campaigns.models import Draw
from coordinator.directories.importers import InspectorImporter
from coordinator.directories.models import Conflict, Inspector
from coordinator.excel.importing import run_import
from coordinator.excel.reader import FileRefused
from coordinator.excel.writer import write_list
from coordinator.extensions import db
from coordinator.results import services as results
from coordinator.results.models import InspectionRecord
from coordinator.states import DrawKind, RecordStatus
from tests.app.county import build_county, confirm_all, drawn_campaign
from tests.app.together import together
from tests.conftest import PASSWORD, login

INSPECTOR_HEADER = ["姓名", "性别", "所属部门", "执法证件号", "有效期至", "手机"]


@pytest.fixture
def county(ctx):
    return build_county()


def _people_file(path: Path, rows: list[list]) -> Path:
    write_list(str(path), "人员", None, INSPECTOR_HEADER, rows)
    return path


def _upload(client, kind: str, path: Path) -> tuple[str, str]:
    with path.open("rb") as handle:
        page = client.post(f"/import/{kind}", data={"file": (handle, path.name)},
                           content_type="multipart/form-data").get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0] if 'name="token" value="' in page else ""
    return page, token


# ---- 1. cross-department takeover through import --------------------------------------------------


def test_an_import_cannot_take_over_another_departments_inspector(client, county, tmp_path):
    victim = db.session.scalar(sa.select(Inspector).where(Inspector.department_id == county["scj"].id)
                               .order_by(Inspector.id))
    before = (victim.department_id, victim.mobile, victim.name)
    login(client, "yjj_admin")
    path = _people_file(tmp_path / "people.xlsx", [
        [victim.name, "男", "应急管理局", victim.cert_no, "2030-12-31", "13912345678"],
        ["新来的", "女", "应急管理局", "YJNEW01", "2030-12-31", "13900000001"],
    ])
    page, token = _upload(client, "inspectors", path)
    assert "第2行" in page and f"执法证号 {victim.cert_no}已登记在“市场监督管理局”" in page
    done = client.post("/import/inspectors/confirm", data={"token": token}).get_data(as_text=True)
    assert "新增1条" in done and "更新0条" in done and "拒绝1行" in done
    db.session.expire_all()
    victim = db.session.get(Inspector, victim.id)
    assert (victim.department_id, victim.mobile, victim.name) == before


def test_every_row_an_import_changes_is_logged_with_before_and_after(county, tmp_path):
    inspector = db.session.scalar(sa.select(Inspector).where(Inspector.department_id == county["yjj"].id)
                                  .order_by(Inspector.id))
    old_mobile = inspector.mobile
    path = _people_file(tmp_path / "people.xlsx", [
        [inspector.name, "", "应急管理局", inspector.cert_no, "2030-01-01", "13911112222"],
        ["新来的", "女", "应急管理局", "YJNEW01", "2030-12-31", "13900000001"],
    ])
    start = db.session.scalar(sa.select(sa.func.max(AuditEntry.seq)))
    run_import(InspectorImporter(county["yjj"].id), path, dry_run=False)
    logged = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.seq > start).order_by(AuditEntry.seq)).all()
    update = next(e for e in logged if e.action == "update")
    assert (update.entity, update.entity_id) == ("inspector", str(inspector.id))
    before, after = json.loads(update.changes)["before"], json.loads(update.changes)["after"]
    assert (before["mobile"], after["mobile"]) == (old_mobile, "13911112222")
    assert "cert_no" not in after and "department_id" not in after  # only what changed
    insert = next(e for e in logged if e.action == "insert")
    newcomer = db.session.scalar(sa.select(Inspector).where(Inspector.cert_no == "YJNEW01"))
    assert (insert.entity, insert.entity_id) == ("inspector", str(newcomer.id))
    assert json.loads(insert.changes)["after"]["mobile"] == "13900000001"
    assert logged[-1].action == "import"


# ---- 3. throttling: counted atomically, the same for known and unknown names ------------------------


def _answers(client, username: str, count: int) -> list[str]:
    answers = []
    for attempt in range(count):
        page = client.post("/login", data={"username": username, "password": f"Wrong{attempt}x"}).get_data(as_text=True)
        answers.append(page.split('class="flash')[1].split("</")[0] if 'class="flash' in page else page[:80])
    return answers


def test_known_and_unknown_names_get_the_same_answers(app, county):
    known = _answers(app.test_client(), "yjj_admin", 7)
    unknown = _answers(app.test_client(), "no_such_user", 7)
    assert known == unknown
    assert "用户名或密码错误" in known[0] and "分钟后再试" in known[-1]


def test_known_and_unknown_names_cost_the_same_password_work(app, county, monkeypatch):
    """An unknown name is put through a password hash too: it answered in 3-6 ms against 130-300 ms before."""
    import hashlib

    calls = []
    real = hashlib.pbkdf2_hmac
    monkeypatch.setattr(hashlib, "pbkdf2_hmac", lambda *args, **kwargs: calls.append(args[3]) or real(*args, **kwargs))
    work = {}
    for name in ("no_such_user", "yjj_admin", "no_such_user"):  # the first makes the stand-in hash once
        calls.clear()
        with pytest.raises(auth.AuthError):
            auth.authenticate(name, "Wrong1234", f"10.1.1.{len(name)}")
        work[name] = list(calls)
    assert work["yjj_admin"] == work["no_such_user"] and len(work["yjj_admin"]) == 1


def test_known_and_unknown_names_take_about_as_long(app, county):
    """The same, by the clock, with a realistic hash cost (a loose bound: the machine may be busy)."""
    user = db.session.scalar(sa.select(User).where(User.username == "yjj_admin"))
    app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:200000"
    try:
        user.set_password(PASSWORD)
        db.session.commit()

        def timed(username: str) -> float:
            start = time.perf_counter()
            with pytest.raises(auth.AuthError):
                auth.authenticate(username, "Wrong1234", f"10.1.{len(username)}.{time.perf_counter_ns() % 250}")
            return time.perf_counter() - start

        known = statistics.median(timed("yjj_admin") for _ in range(5))
        unknown = statistics.median(timed("no_such_user") for _ in range(5))
    finally:
        app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
    assert unknown > known / 10 and known > unknown / 10, (known, unknown)  # it was 40 times apart


def test_parallel_guesses_are_counted_before_any_password_is_checked(app, county, monkeypatch):
    checks = []
    real = User.check_password
    monkeypatch.setattr(User, "check_password", lambda self, password: checks.append(1) or real(self, password))

    def guess(index: int, barrier):
        barrier.wait()
        with pytest.raises(auth.AuthError) as refused:
            auth.authenticate("yjj_admin", f"Guess{index}x", "10.9.9.9")
        return str(refused.value)

    outcomes = together(app, guess, 12)
    assert all(isinstance(o, str) for o in outcomes), outcomes
    assert len(checks) <= 5  # 60 parallel guesses made 40 real checks before


def test_the_office_lifts_a_limit_at_once(client, county):
    _answers(client, "yjj_admin", 6)
    login(client, "office")
    assert "登录受限" in client.get("/admin/users").get_data(as_text=True)
    user = db.session.scalar(sa.select(User).where(User.username == "yjj_admin"))
    client.post(f"/admin/users/{user.id}/unlock")
    client.post("/logout")
    login(client, "yjj_admin")  # from the address that had been slowed down
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "unlock")).entity_id == str(user.id)


# ---- 4. recusals do not leak ---------------------------------------------------------------------------


@pytest.fixture
def teamed(county):
    campaign = drawn_campaign(county)
    confirm_all(campaign, county["users"]["office"])
    declared = db.session.scalar(sa.select(Inspector).where(Inspector.department_id == county["yjj"].id)
                                 .order_by(Inspector.id))
    db.session.add(Conflict(inspector_id=declared.id, subject_id=campaign.subjects[0].subject_id,
                            reason="其配偶在该单位任职"))
    draw = campaigns.lock_and_run_team_draw(campaign, "7", "见证人", county["users"]["office"])
    db.session.commit()
    member = next(m for cs in campaign.subjects for m in cs.active_members if m.department_id == county["yjj"].id)
    campaigns.recuse(campaign, member, "其兄在该单位任职", county["users"]["office"])
    db.session.commit()
    return campaign, draw, member


def test_the_teams_draw_is_the_offices_to_download(client, county, teamed):
    campaign, draw, member = teamed
    subjects_draw = db.session.scalar(sa.select(Draw).where(Draw.campaign_id == campaign.id,
                                                                  Draw.kind == DrawKind.SUBJECTS))
    reseat = db.session.scalar(sa.select(Draw).where(Draw.campaign_id == campaign.id,
                                                           Draw.kind == DrawKind.RESEAT))
    login(client, "scj_officer")
    for record in (draw, reseat):
        assert client.get(f"/campaigns/{campaign.id}/draws/{record.id}.json").status_code == 403
    assert client.get(f"/campaigns/{campaign.id}/draws/{subjects_draw.id}.json").status_code == 200
    teams_page = client.get(f"/campaigns/{campaign.id}/teams").get_data(as_text=True)
    detail = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "其兄在该单位任职" not in teams_page + detail and member.inspector.name in teams_page
    client.post("/logout")
    login(client, "office")
    assert client.get(f"/campaigns/{campaign.id}/draws/{draw.id}.json").status_code == 200
    assert "其兄在该单位任职" in client.get(f"/campaigns/{campaign.id}/teams").get_data(as_text=True)


def test_recusal_reasons_never_enter_the_solvers_input(county, teamed):
    campaign, draw, member = teamed
    assert db.session.scalar(sa.select(Conflict.reason).where(Conflict.inspector_id == member.inspector_id))
    for record in db.session.scalars(sa.select(Draw).where(Draw.kind.in_(("teams", "reseat")))):
        problem = json.loads(record.problem)
        assert problem["conflicts"] and all(set(c) == {"inspector", "subject"} for c in problem["conflicts"])
        assert "其配偶在该单位任职" not in record.problem and "其兄在该单位任职" not in record.problem + record.note
        assert campaigns.replay(record) is None  # the reasons are not needed to replay it


# ---- 5. double submits ------------------------------------------------------------------------------


def test_two_confirms_of_one_upload_import_once(app, county, tmp_path):
    path = _people_file(tmp_path / "people.xlsx", [["无证人员", "男", "应急管理局", "", "", ""]])
    yjj = county["yjj"].id
    def confirm(index: int, barrier):
        barrier.wait()
        return run_import(InspectorImporter(yjj), path, dry_run=False, token="a" * 32)

    outcomes = together(app, confirm)
    assert sorted(type(o).__name__ for o in outcomes) == ["FileRefused", "ImportReport"], outcomes
    assert "确认导入过" in str(next(o for o in outcomes if isinstance(o, FileRefused)))
    assert db.session.scalar(sa.select(sa.func.count()).where(Inspector.name == "无证人员")) == 1


def test_two_uploads_confirmed_at_once_do_not_duplicate(app, county, tmp_path):
    path = _people_file(tmp_path / "people.xlsx", [["无证人员", "男", "应急管理局", "", "", ""]])
    yjj = county["yjj"].id
    def confirm(index: int, barrier):
        barrier.wait()
        return run_import(InspectorImporter(yjj), path, dry_run=False, token=f"{index}" * 32)

    outcomes = together(app, confirm)
    assert sorted((o.created, o.unchanged) for o in outcomes) == [(0, 1), (1, 0)], outcomes
    assert db.session.scalar(sa.select(sa.func.count()).where(Inspector.name == "无证人员")) == 1


def test_a_double_click_on_confirm_through_the_web_imports_once(client, county, tmp_path):
    login(client, "yjj_admin")
    path = _people_file(tmp_path / "people.xlsx", [["无证人员", "男", "应急管理局", "", "", ""]])
    _page, token = _upload(client, "inspectors", path)
    first = client.post("/import/inspectors/confirm", data={"token": token}).get_data(as_text=True)
    assert "新增1条" in first
    # The file is gone after the first; had it been copied back, the spent token still refuses it.
    _page, second_token = _upload(client, "inspectors", path)
    folder = Path(client.application.config["UPLOAD_FOLDER"])
    owner = county["users"]["yjj_admin"].id
    (folder / f"{owner}-{second_token}.xlsx").rename(folder / f"{owner}-{token}.xlsx")
    again = client.post("/import/inspectors/confirm", data={"token": token}).get_data(as_text=True)
    assert "确认导入过" in again
    assert db.session.scalar(sa.select(sa.func.count()).where(Inspector.name == "无证人员")) == 1


# ---- 6. review is the lead department's administrator's -----------------------------------------------


@pytest.fixture
def awaiting_review(county):
    office = county["users"]["office"]
    campaign = drawn_campaign(county)
    confirm_all(campaign, office)
    campaigns.lock_and_run_team_draw(campaign, "7", "见证人", office)
    campaigns.dispatch(campaign)
    db.session.commit()
    cs = next(cs for cs in campaign.subjects if cs.active_members)
    record = cs.record
    for part in record.department_results:
        entry = results.ResultEntry(
            items=[results.ItemEntry(ci.id, "未发现问题", 0, "") for ci in results.items_for(part)],
            follow_ups=["无需后续处置"], transfer_to="", questions_answered=False, note="", rectify_by=None,
            inspected_on=date(2024, 6, 12) if part.department_id == county["yjj"].id else None,
            signed=True if part.department_id == county["yjj"].id else None, refusal_note="")
        results.save_department_result(record, part.department_id, entry, office, submit=True)
    results.write_report(record, "未发现问题", "无需后续处置", office)  # publication needs it
    db.session.commit()
    assert record.status == RecordStatus.REVIEWING
    return record


@pytest.mark.parametrize("action", [{"action": "publish"}, {"action": "back", "reason": "请补充照片"}])
def test_an_officer_of_the_lead_department_cannot_review(client, awaiting_review, action):
    login(client, "yjj_officer")
    assert client.get(f"/results/{awaiting_review.id}").status_code == 200  # reads it, as before
    assert client.post(f"/results/{awaiting_review.id}/review", data=action).status_code == 403
    db.session.expire_all()
    assert db.session.get(InspectionRecord, awaiting_review.id).status == RecordStatus.REVIEWING
    client.post("/logout")
    login(client, "yjj_admin")
    client.post(f"/results/{awaiting_review.id}/review", data=action)
    db.session.expire_all()
    assert db.session.get(InspectionRecord, awaiting_review.id).status != RecordStatus.REVIEWING


def test_two_reviews_at_once_publish_once(app, county, awaiting_review):
    record_id, office_id = awaiting_review.id, county["users"]["office"].id

    def publish(index: int, barrier):
        record, office = db.session.get(InspectionRecord, record_id), db.session.get(User, office_id)
        barrier.wait()
        results.publish(record, office)
        db.session.commit()
        return "published"

    outcomes = together(app, publish)
    assert sorted(str(o)[:9] for o in outcomes) == ["published", "只有待审核的记录可"], outcomes


# ---- 9. the smaller ones --------------------------------------------------------------------------------

SEARCH_PAGES = ["/subjects", "/inspectors", "/items/", "/results/", "/admin/users", "/audit/", "/public/results"]


@pytest.mark.parametrize("url", SEARCH_PAGES)
def test_a_search_of_100000_characters_is_answered(client, county, url):
    login(client, "office")
    assert client.get(url, query_string={"q": "测" * 100_000}).status_code == 200


def test_percent_and_underscore_are_plain_characters_in_the_user_search(client, county):
    login(client, "office")
    assert "yjj_admin" not in client.get("/admin/users?q=%25").get_data(as_text=True)
    assert "yjj_admin" not in client.get("/admin/users?q=y_j").get_data(as_text=True)
    assert "yjj_admin" in client.get("/admin/users?q=j_a").get_data(as_text=True)


def test_the_joint_record_workbooks_neutralise_formulas(client, county, teamed):
    campaign, _draw, _member = teamed
    cs = next(cs for cs in campaign.subjects if cs.active_members)
    cs.subject.name = '=HYPERLINK("http://evil.example","点击")'
    cs.subject.address = "+1+cmd|' /C calc'!A0"
    db.session.commit()
    login(client, "office")
    for url in (f"/campaigns/{campaign.id}/records/{cs.id}.xlsx", f"/campaigns/{campaign.id}/records.xlsx"):
        response = client.get(url)
        path = Path(client.application.config["UPLOAD_FOLDER"]) / "records-check.xlsx"
        path.write_bytes(response.data)
        sheets = pd.read_excel(path, engine="calamine", header=None, dtype=str, sheet_name=None)
        texts = [v for frame in sheets.values() for v in frame.to_numpy().ravel().tolist() if isinstance(v, str)]
        assert "'" + cs.subject.name in texts and "'" + cs.subject.address in texts
        assert not any(t.startswith(("=", "+")) for t in texts)


def test_signed_in_pages_are_not_cached(client, county):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    login(client, "office")
    for url in ("/", "/subjects", "/admin/users", "/subjects/export"):
        assert client.get(url).headers.get("Cache-Control") == "no-store", url


# ---- 7. the audit chain against someone who can write the database ------------------------------------------


def _tamper(sql: str, **params) -> None:
    db.session.execute(sa.text(sql), params)
    db.session.commit()


def _rechain(start: int, key: str) -> None:
    """What an attacker with write access does after removing or editing entries: renumber from `start` and
    recompute every hash after it (with `key`: a guess, or the real one if they have it), then move the head."""
    table = AuditEntry.__table__
    rows = db.session.execute(sa.select(table).where(table.c.seq >= start).order_by(table.c.seq)).all()
    prev = db.session.scalar(sa.select(table.c.hash).where(table.c.seq == start - 1)) or audit.GENESIS
    db.session.execute(table.delete().where(table.c.seq >= start))
    seq = start - 1
    for row in rows:
        seq += 1
        digest = audit.entry_hash(seq, row.at, row.user_id, row.user_name, row.action, row.entity, row.entity_id,
                                  row.changes, prev, key=key)
        db.session.execute(table.insert().values(**{**row._asdict(), "seq": seq, "prev_hash": prev, "hash": digest}))
        prev = digest
    db.session.execute(AuditHead.__table__.update().values(seq=seq, hash=prev))
    db.session.commit()


def _verify(runner, *args: str):
    result = runner.invoke(args=["audit-verify", *args])
    return result.exit_code, result.output


def test_deleting_an_entry_and_rehashing_the_rest_is_caught(county, runner):
    total = db.session.scalar(sa.select(sa.func.max(AuditEntry.seq)))
    assert _verify(runner)[0] == 0
    _tamper("DELETE FROM audit_entry WHERE seq = :s", s=20)
    _rechain(20, key="a-guessed-key")  # the plain SHA-256 of the old chain would do no better
    code, output = _verify(runner)
    assert code == 1 and "第20条审计记录的内容与其哈希值不符" in output, output
    assert db.session.scalar(sa.select(sa.func.max(AuditEntry.seq))) == total - 1


def test_even_with_the_key_a_removed_entry_is_caught_by_the_checkpoint(county, runner, app):
    _tamper("DELETE FROM audit_entry WHERE seq = :s", s=20)
    _rechain(20, key=app.config["AUDIT_KEY"])
    code, output = _verify(runner)
    assert code == 1 and "末尾被删除" in output and "检查点" in output, output


def test_cutting_the_newest_entries_and_moving_the_head_back_is_caught(county, runner):
    total = db.session.scalar(sa.select(sa.func.max(AuditEntry.seq)))
    keep = total - 50
    head = db.session.scalar(sa.select(AuditEntry.hash).where(AuditEntry.seq == keep))
    _tamper("DELETE FROM audit_entry WHERE seq > :s", s=keep)
    _tamper("UPDATE audit_head SET seq = :s, hash = :h", s=keep, h=head)
    code, output = _verify(runner)
    assert code == 1 and f"第{keep + 1}～{total}条审计记录缺失" in output and "检查点" in output, output


def test_replacing_the_whole_log_is_caught(county, runner, app):
    _tamper("DELETE FROM audit_entry")
    _tamper("DELETE FROM audit_head")
    audit.log("draw", "draw_record", 1, None, {"seed": "伪造"})
    db.session.commit()
    code, output = _verify(runner)
    assert code == 1 and "不属于同一条链" in output, output


def test_the_checkpoint_moves_with_commits_only(county, app):
    before = seal.read_checkpoint()
    total = db.session.scalar(sa.select(sa.func.max(AuditEntry.seq)))
    assert (before["seq"], before["hash"]) == (total, db.session.scalar(sa.select(AuditHead.hash)))
    audit.log("draw", "draw_record", 1, None, {"seed": "1"})
    db.session.rollback()
    assert seal.read_checkpoint() == before
    audit.log("draw", "draw_record", 1, None, {"seed": "2"})
    db.session.commit()
    assert seal.read_checkpoint()["seq"] == total + 1
    seal.advance(3, "0" * 64, "", None, lambda: None)  # never backwards
    assert seal.read_checkpoint()["seq"] == total + 1


def test_a_missing_checkpoint_is_reported(county, runner):
    seal.forget()
    code, output = _verify(runner)
    assert code == 1 and "找不到审计检查点文件" in output


def test_the_daily_digest_pins_the_chain_even_against_the_key_holder(county, runner, app, client):
    login(client, "office")
    day = db.session.scalar(sa.select(AuditEntry.at).order_by(AuditEntry.seq.desc()).limit(1)).date()
    page = client.get(f"/audit/digest?date={day.isoformat()}").get_data(as_text=True)
    result = runner.invoke(args=["audit-digest", "--date", day.isoformat()])
    assert result.exit_code == 0, result.output
    entry = audit.digest(day)
    assert f"第{entry.seq}条" in result.output and entry.grouped_hash in result.output
    assert entry.grouped_hash in page and "打印" in page
    assert _verify(runner, "--digest", entry.check_argument)[0] == 0

    # Someone with the database, the key and the checkpoint file rewrites entry 10 and everything after it.
    victim = db.session.execute(sa.select(AuditEntry.__table__).where(AuditEntry.seq == 10)).one()
    _tamper("UPDATE audit_entry SET user_name = '他人' WHERE seq = 10")
    _rechain(10, key=app.config["AUDIT_KEY"])
    head = db.session.execute(sa.select(AuditHead.seq, AuditHead.hash)).one()
    seal.forget()
    seal.advance(head.seq, head.hash, "", db.session.scalar(sa.select(AuditEntry.hash).where(AuditEntry.seq == 1)),
                 lambda: None)
    assert _verify(runner)[0] == 0  # everything they hold agrees ...
    code, output = _verify(runner, "--digest", entry.check_argument)
    assert code == 1 and f"第{entry.seq}条审计记录的哈希值与摘要不符" in output  # ... but not the printed digest
    assert victim.user_name != "他人"


def test_a_refused_request_and_a_download_are_logged(client, county):
    login(client, "yjj_officer")
    client.get("/admin/users")
    client.get("/items/export")
    denied = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "denied"))
    assert denied.user_name == "yjj_officer" and json.loads(denied.changes)["after"]["path"] == "/admin/users"
    download = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "download"))
    assert json.loads(download.changes)["after"]["path"] == "/items/export"


def test_upgrading_seals_an_existing_chain_under_the_key_and_refuses_a_broken_one(app, tmp_path):
    from flask_migrate import upgrade

    from coordinator import create_app
    from coordinator.extensions import migrations
    from solver import canonical_json, sha256_hex
    from tests.conftest import empty_database_like

    def chain(count: int) -> list[dict]:
        rows, prev = [], audit.GENESIS
        for seq in range(1, count + 1):
            at, changes = datetime(2026, 1, 1, 9, 0, seq), canonical_json({"after": {"seed": str(seq)}, "before": None})
            digest = sha256_hex(audit.entry_text(seq, at, None, "命令行", "draw", "draw_record", str(seq), changes,
                                                 prev))
            rows.append({"seq": seq, "at": at, "user_id": None, "user_name": "命令行", "action": "draw",
                         "entity": "draw_record", "entity_id": str(seq), "changes": changes, "prev_hash": prev,
                         "hash": digest})
            prev = digest
        return rows

    for name, broken in (("liancha_seal", False), ("liancha_seal_broken", True)):
        old = create_app({"TESTING": True, "SECRET_KEY": "x", "UPLOAD_FOLDER": str(tmp_path), "AUDIT_KEY": "k",
                          "AUDIT_CHECKPOINT": str(tmp_path / f"{name}.json"),
                          "SQLALCHEMY_DATABASE_URI": empty_database_like(app, tmp_path, name)})
        migrations(old)
        with old.app_context():
            upgrade(revision="b7d4e2f19a30-1")  # the schema just before the chain was keyed
            rows = chain(5)
            if broken:
                rows[2]["user_name"] = "他人"
            db.session.execute(AuditEntry.__table__.insert(), rows)
            db.session.execute(AuditHead.__table__.insert().values(id=1, seq=5, hash=rows[-1]["hash"]))
            db.session.commit()
            if broken:
                with pytest.raises(SystemExit):  # Flask-Migrate logs "审计日志第3条已损坏，升级已停止" and exits 1
                    upgrade()
                db.session.rollback()
                assert db.session.scalar(sa.select(AuditEntry.hash).where(AuditEntry.seq == 5)) == rows[-1]["hash"]
            else:
                upgrade()
                seal.advance(5, db.session.scalar(sa.select(AuditHead.hash)), "",
                             db.session.scalar(sa.select(AuditEntry.hash).where(AuditEntry.seq == 1)), lambda: None)
                assert audit.verify().broken is None and audit.verify().count == 5
            db.session.remove()
            db.engine.dispose()


# ---- 8. uploads refused before parsing ------------------------------------------------------------------------


def _bomb(path: Path, unpacked_mb: int) -> Path:
    """A workbook of a few kilobytes whose one sheet unpacks to `unpacked_mb` MB of blank cells."""
    row = b'<row r="1"><c r="A1" t="inlineStr"><is><t>' + b" " * 1000 + b"</t></is></c></row>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0"?><worksheet><sheetData>')
            for _ in range(unpacked_mb * 1024):
                sheet.write(row[:1024])
            sheet.write(b"</sheetData></worksheet>")
    return path


@pytest.fixture
def small_limits(app):
    app.config.update(MAX_UNPACKED_MB=2, MAX_IMPORT_ROWS=1000)
    yield
    app.config.update(MAX_UNPACKED_MB=200, MAX_IMPORT_ROWS=300_000)


def _never_parsed(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the file reached the parser")

    monkeypatch.setattr(pd, "read_excel", refuse)
    monkeypatch.setattr("coordinator.excel.delimited.read_rows", refuse)


def test_a_zip_bomb_is_refused_before_it_is_parsed(client, county, tmp_path, small_limits, monkeypatch):
    path = _bomb(tmp_path / "bomb.xlsx", unpacked_mb=20)
    assert path.stat().st_size < 200_000
    _never_parsed(monkeypatch)
    login(client, "office")
    page, token = _upload(client, "subjects", path)
    assert "文件解压后约" in page and "超过导入上限2 MB" in page and not token


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_sheet_beyond_the_row_limit_is_refused_before_it_is_parsed(client, county, tmp_path, small_limits,
                                                                     monkeypatch, suffix):
    path = tmp_path / f"many{suffix}"
    rows = [[f"姓名{n}", "男", "应急管理局", "", "", ""] for n in range(1500)]
    if suffix == ".csv":
        path.write_text("\n".join(",".join(r) for r in [INSPECTOR_HEADER, *rows]), encoding="utf-8")
    else:
        _people_file(path, rows)
    _never_parsed(monkeypatch)
    login(client, "yjj_admin")
    page, token = _upload(client, "inspectors", path)
    assert "超过导入上限1,000行" in page and not token


def test_the_default_limits_fit_a_county(app):
    assert (app.config["MAX_UNPACKED_MB"], app.config["MAX_IMPORT_ROWS"]) == (200, 300_000)


# ---- 5 (continued). every form that creates something is saved once ------------------------------------------


def _page_token(page: str) -> str:
    return page.split('name="once" value="')[1].split('"')[0]


def test_a_double_click_on_a_new_inspector_saves_one(app, county):
    """Two submits of one form at once (no certificate number, so nothing else would tell them apart)."""
    client = app.test_client()
    login(client, "yjj_admin")
    token = _page_token(client.get("/inspectors/new").get_data(as_text=True))
    data = {"name": "双击人员", "gender": "男", "can_lead": "否", "once": token}
    cookie = client.get_cookie("session").value

    def submit(index: int, barrier):
        browser = app.test_client()
        browser.set_cookie("session", cookie)
        barrier.wait()
        return browser.post("/inspectors/new", data=data).status_code

    outcomes = together(app, submit)
    assert all(code in (302, 303) for code in outcomes), outcomes
    assert db.session.scalar(sa.select(sa.func.count()).where(Inspector.name == "双击人员")) == 1


@pytest.mark.parametrize(("url", "data", "model", "where"), [
    ("/campaigns/new", None, "Campaign", None),
    ("/plans/", {"year": "2025"}, "Plan", None),
    ("/items/new", {"name": "重复提交的事项"}, "Item", "name"),
    ("/subjects/new", None, "Subject", None),
])
def test_submitting_a_create_form_again_saves_nothing_more(client, county, url, data, model, where):
    from coordinator.campaigns.models import Campaign
    from coordinator.directories.models import Subject
    from coordinator.items.models import Item
    from coordinator.plans.models import Plan
    from tests.app.test_campaigns import CAMPAIGN_FORM
    from tests.app.test_pages import subject_form

    models = {"Campaign": Campaign, "Plan": Plan, "Item": Item, "Subject": Subject}
    login(client, "office")
    token = _page_token(client.get(url).get_data(as_text=True))
    if url == "/campaigns/new":
        data = {**CAMPAIGN_FORM, "lead_department_id": county["yjj"].id, "partner_ids": [county["scj"].id]}
        target = url
    elif url == "/plans/":
        data, target = {**data, "department_id": county["yjj"].id}, "/plans/new"
    elif url == "/subjects/new":
        data, target = subject_form(), url
    else:
        data, target = {**data, "department_id": county["yjj"].id}, url
    count = db.session.scalar(sa.select(sa.func.count()).select_from(models[model]))
    first = client.post(target, data={**data, "once": token})
    assert first.status_code in (302, 303), first.get_data(as_text=True)[-1500:]
    again = client.post(target, data={**data, "once": token}, follow_redirects=True).get_data(as_text=True)
    assert "已经提交过" in again or (model == "Subject" and "统一社会信用代码已属于" in again)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(models[model])) == count + 1


def test_a_photo_sent_twice_is_stored_once(client, county, awaiting_review):
    login(client, "yjj_officer")
    page = client.get(f"/results/{awaiting_review.id}").get_data(as_text=True)
    token = _page_token(page)
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    for _ in range(2):
        client.post(f"/results/{awaiting_review.id}/photos",
                    data={"photo": (io.BytesIO(png), "现场.png"), "once": token}, content_type="multipart/form-data")
    from coordinator.results.models import Attachment

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 1


def _lie_about_sizes(data: bytes, size: int) -> bytes:
    """Rewrite every size a ZIP declares (local headers and central directory) as `size` bytes unpacked."""
    data = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset:start + offset + 4] = size.to_bytes(4, "little")
            start += 4
    return bytes(data)


def test_a_zip_that_lies_about_its_unpacked_size_is_inflated_and_refused(tmp_path):
    from coordinator.excel import limits

    honest = tmp_path / "honest.xlsx"
    with zipfile.ZipFile(honest, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b" " * (5 * 1024 * 1024))
    liar = tmp_path / "liar.xlsx"
    liar.write_bytes(_lie_about_sizes(honest.read_bytes(), 1000))
    assert sum(m.file_size for m in zipfile.ZipFile(liar).infolist()) == 1000  # what it claims
    with pytest.raises(limits.TooLarge, match="超过导入上限2 MB"):
        limits.check_workbook(liar, limits.Limits(2 * 1024 * 1024, 1000))
    limits.check_workbook(honest, limits.Limits(6 * 1024 * 1024, 1000))  # within the limit: passes


def test_an_export_from_the_command_line_is_logged(runner, county, tmp_path):
    target = tmp_path / "名录.xlsx"
    result = runner.invoke(args=["export-inspectors", str(target)])
    assert result.exit_code == 0, result.output
    exported = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "export"))
    assert exported.user_name == "命令行"
    assert json.loads(exported.changes)["after"] == {"command": "export-inspectors", "file": str(target)}


def test_a_photo_fetched_is_logged_as_a_download(client, county, awaiting_review):
    login(client, "yjj_officer")
    token = _page_token(client.get(f"/results/{awaiting_review.id}").get_data(as_text=True))
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    client.post(f"/results/{awaiting_review.id}/photos", data={"photo": (io.BytesIO(png), "现场.png"), "once": token},
                content_type="multipart/form-data")
    from coordinator.results.models import Attachment

    attachment = db.session.scalar(sa.select(Attachment))
    response = client.get(f"/results/photos/{attachment.id}")
    assert response.get_data() == png
    response.close()  # a file sent from disk stays open until the response is closed, as a server would
    fetched = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "download")).all()
    assert [json.loads(e.changes)["after"]["path"] for e in fetched] == [f"/results/photos/{attachment.id}"]
