"""Commit-then-reveal seeds: every kind of draw, refused reveals, missing reveals, the seed rule, replay and the
fallback; and that no secret value is stored anywhere before its owner reveals it."""
from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta

import pytest
import sqlalchemy as sa

import solver
from coordinator.campaigns import services as campaigns
from coordinator.campaigns.models import Campaign, Draw
from coordinator.campaigns.services import CampaignError
from coordinator.draws import services as rounds
from coordinator.draws.models import SeedRound
from coordinator.extensions import db
from coordinator.states import CampaignStatus, Decision, DrawKind, DrawnStatus
from coordinator.timeutil import now
from solver.__main__ import main as solver_main
from tests.app.county import PASSWORD, build_county, campaign_values, confirm_all, drawn_campaign, submit_all_items
from tests.app.seeding import commitment, service_round, web_round


@pytest.fixture
def county(ctx):
    return build_county()


def users_of(county, *slots):
    names = {"office": "office", "dept:yjj": "yjj_admin", "dept:scj": "scj_admin"}
    return {slot: county["users"][names[slot]] for slot in slots}


def collecting(county) -> Campaign:
    campaign = campaigns.create_campaign(campaign_values(), county["yjj"], [county["scj"]], county["users"]["office"])
    db.session.flush()
    submit_all_items(campaign, county)
    return campaign


def expected_seed(locked_sha256: str, reveals: dict[str, str]) -> str:
    """The README's rule, written out here without the app's or the solver's code."""
    lines = ["liancha-seed-1", locked_sha256, *(f"{slot}:{reveals[slot]}" for slot in sorted(reveals))]
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def client_for(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code in (302, 303)
    return client


def test_the_seed_is_the_documented_function_of_the_input_hash_and_the_reveals(county):
    campaign = collecting(county)
    office = county["users"]["office"]
    round_ = rounds.open_round(campaign, "subjects", office)
    values = {slot: secrets.token_hex(32) for slot in ("office", "dept:yjj", "dept:scj")}
    for slot, user in users_of(county, *values).items():
        assert round_.draw is None  # the input is locked only when the commitments close
        rounds.commit(round_, slot, commitment(values[slot]), user)
    assert round_.commit_closed_at is not None and campaign.status == CampaignStatus.LOCKED  # the last commitment closed it
    for slot, user in users_of(county, *values).items():
        rounds.reveal(round_, slot, values[slot], user)
    rounds.run_round(round_, office)
    record = round_.draw
    assert record.seed == expected_seed(record.locked_sha256, values)
    problem = {**json.loads(record.problem), "seed": record.seed}
    assert solver.draw_subjects(problem)["drawn"] == json.loads(record.result)["drawn"]
    assert campaign.status == CampaignStatus.DRAWN and campaign.active_count > 0


def test_a_reveal_that_does_not_match_its_commitment_is_refused(app, county):
    campaign = collecting(county)
    db.session.commit()
    office, yjj = client_for(app, "office"), client_for(app, "yjj_admin")
    office.post(f"/campaigns/{campaign.id}/rounds", data={"kind": "subjects", "reveal_hours": "24"})
    round_id = db.session.scalar(sa.select(SeedRound.id))
    mine, other = secrets.token_hex(32), secrets.token_hex(32)
    office.post(f"/campaigns/{campaign.id}/rounds/{round_id}/commit",
                data={"slot": "office", "commitment": commitment(secrets.token_hex(32))})
    yjj.post(f"/campaigns/{campaign.id}/rounds/{round_id}/commit", data={"slot": "dept:yjj", "commitment": commitment(mine)})
    office.post(f"/campaigns/{campaign.id}/rounds/{round_id}/close")
    page = yjj.post(f"/campaigns/{campaign.id}/rounds/{round_id}/reveal", data={"slot": "dept:yjj", "value": other},
                    follow_redirects=True).data.decode()
    assert "揭示的随机值与承诺不符" in page
    db.session.expire_all()
    assert db.session.get(SeedRound, round_id).slot("dept:yjj").value is None
    with pytest.raises(CampaignError, match="与承诺不符"):
        rounds.reveal(db.session.get(SeedRound, round_id), "dept:yjj", other, county["users"]["yjj_admin"])
    # Nor may a department commit or reveal for another, or an officer for anyone.
    scj = client_for(app, "scj_admin")
    assert scj.post(f"/campaigns/{campaign.id}/rounds/{round_id}/reveal",
                    data={"slot": "dept:yjj", "value": mine}).status_code == 403
    assert client_for(app, "yjj_officer").post(f"/campaigns/{campaign.id}/rounds/{round_id}/reveal",
                                               data={"slot": "dept:yjj", "value": mine}).status_code == 403
    yjj.post(f"/campaigns/{campaign.id}/rounds/{round_id}/reveal", data={"slot": "dept:yjj", "value": mine})
    db.session.expire_all()
    assert db.session.get(SeedRound, round_id).slot("dept:yjj").value == mine


def test_a_missing_reveal_is_recorded_and_the_draw_proceeds(county):
    campaign = collecting(county)
    office = county["users"]["office"]
    round_ = rounds.open_round(campaign, "subjects", office, witness="县纪委监委 王明")
    values = {slot: secrets.token_hex(32) for slot in ("office", "dept:yjj", "dept:scj")}
    for slot, user in users_of(county, *values).items():
        rounds.commit(round_, slot, commitment(values[slot]), user)
    assert round_.commit_closed_at is None  # the witness has not committed: the window stays open
    rounds.close(round_, office)
    assert round_.slot("witness").left_out == "未在截止前提交承诺"
    for slot, user in users_of(county, "office", "dept:yjj").items():
        rounds.reveal(round_, slot, values[slot], user)
    with pytest.raises(CampaignError, match="还有参与方未揭示"):
        rounds.run_round(round_, office)
    round_.reveal_deadline = now() - timedelta(minutes=1)
    with pytest.raises(CampaignError, match="揭示已截止"):
        rounds.reveal(round_, "dept:scj", values["dept:scj"], county["users"]["scj_admin"])
    rounds.run_round(round_, office)
    scj = round_.slot("dept:scj")
    assert scj.left_out == "未在时限内揭示" and scj.commitment == commitment(values["dept:scj"]) and scj.value is None
    reveals = {"office": values["office"], "dept:yjj": values["dept:yjj"]}
    assert round_.draw.seed == expected_seed(round_.draw.locked_sha256, reveals)
    assert campaign.status == CampaignStatus.DRAWN


def test_the_office_value_and_one_more_are_required(county):
    campaign = collecting(county)
    office, yjj = county["users"]["office"], county["users"]["yjj_admin"]
    round_ = rounds.open_round(campaign, "subjects", office)
    values = {"office": secrets.token_hex(32), "dept:yjj": secrets.token_hex(32)}
    rounds.commit(round_, "office", commitment(values["office"]), office)
    with pytest.raises(CampaignError, match="至少还需要一个参与方"):
        rounds.close(round_, office)
    rounds.commit(round_, "dept:yjj", commitment(values["dept:yjj"]), yjj)
    rounds.close(round_, office)
    rounds.reveal(round_, "dept:yjj", values["dept:yjj"], yjj)
    round_.reveal_deadline = now() - timedelta(minutes=1)
    with pytest.raises(CampaignError, match="办公室的随机值尚未揭示"):
        rounds.run_round(round_, office)


def test_commitments_close_at_their_deadline_and_are_never_shared(county):
    campaign = collecting(county)
    office, yjj = county["users"]["office"], county["users"]["yjj_admin"]
    with pytest.raises(CampaignError, match="晚于现在"):
        rounds.open_round(campaign, "subjects", office, commit_deadline=now() - timedelta(hours=1))
    round_ = rounds.open_round(campaign, "subjects", office)
    with pytest.raises(CampaignError, match="已有进行中"):
        rounds.open_round(campaign, "subjects", office)
    shared = commitment(secrets.token_hex(32))
    rounds.commit(round_, "office", shared, office)
    with pytest.raises(CampaignError, match="与其他参与方的相同"):
        rounds.commit(round_, "dept:yjj", shared, yjj)
    with pytest.raises(PermissionError):
        rounds.commit(round_, "dept:scj", commitment("x"), yjj)
    round_.commit_deadline = now() - timedelta(minutes=1)
    with pytest.raises(CampaignError, match="承诺已截止"):
        rounds.commit(round_, "dept:yjj", commitment(secrets.token_hex(32)), yjj)


def _every_stored_text() -> str:
    """Every value of every row of every table, as text: where a secret would be if the app kept it."""
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            parts.extend(str(value) for value in row)
    return "\n".join(parts)


def test_no_value_is_stored_before_its_reveal(app, county):
    campaign = collecting(county)
    db.session.commit()
    office, yjj, scj = (client_for(app, name) for name in ("office", "yjj_admin", "scj_admin"))
    office.post(f"/campaigns/{campaign.id}/rounds", data={"kind": "subjects", "reveal_hours": "24"})
    round_id = db.session.scalar(sa.select(SeedRound.id))
    values = {slot: secrets.token_hex(32) for slot in ("office", "dept:yjj", "dept:scj")}
    for slot, client in (("office", office), ("dept:yjj", yjj), ("dept:scj", scj)):
        client.post(f"/campaigns/{campaign.id}/rounds/{round_id}/commit",
                    data={"slot": slot, "commitment": commitment(values[slot])})
    db.session.expire_all()
    assert db.session.get(SeedRound, round_id).draw is not None  # locked
    stored = _every_stored_text()
    assert all(commitment(v) in stored for v in values.values())  # the scan sees what is stored …
    assert not any(v in stored for v in values.values())  # … and no value is among it, audit log included
    yjj.post(f"/campaigns/{campaign.id}/rounds/{round_id}/reveal", data={"slot": "dept:yjj", "value": values["dept:yjj"]})
    stored = _every_stored_text()
    assert values["dept:yjj"] in stored and values["office"] not in stored and values["dept:scj"] not in stored
    # The round page shows a reveal only after the draw; the commitments at once.
    page = scj.get(f"/campaigns/{campaign.id}/rounds/{round_id}").data.decode()
    assert commitment(values["dept:yjj"]) in page and values["dept:yjj"] not in page


def test_a_replayed_draw_is_byte_identical_and_every_commitment_is_checked(app, county, runner, tmp_path):
    campaign = collecting(county)
    db.session.commit()
    office, yjj, scj = (client_for(app, name) for name in ("office", "yjj_admin", "scj_admin"))
    round_ = web_round(office, {"office": office, "dept:yjj": yjj, "dept:scj": scj}, campaign.id, "subjects")
    office.post(f"/campaigns/{campaign.id}/rounds/{round_.id}/run")
    db.session.expire_all()
    record = db.session.scalar(sa.select(Draw).where(Draw.kind == DrawKind.SUBJECTS))
    download = json.loads(yjj.get(f"/campaigns/{campaign.id}/draws/{record.id}.json").data)
    assert {c["slot"]: c["value"] for c in download["seed_round"]["contributions"]} == round_.values
    replayed = solver.draw_subjects(download["input"])
    assert solver.canonical_json(replayed) == record.result  # byte for byte
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(download, ensure_ascii=False), encoding="utf-8")
    assert solver_main(["verify-seed", str(path)]) == 0
    download["seed_round"]["contributions"][0]["value"] = secrets.token_hex(32)
    path.write_text(json.dumps(download, ensure_ascii=False), encoding="utf-8")
    assert solver_main(["verify-seed", str(path)]) == 1

    result = runner.invoke(args=["replay-draw", str(campaign.id)])
    assert result.exit_code == 0 and "多方承诺—揭示（3/3方揭示）" in result.output, result.output
    contribution = db.session.get(SeedRound, round_.id).slot("dept:scj")
    contribution.value = secrets.token_hex(32)  # a reveal changed after the fact
    db.session.commit()
    result = runner.invoke(args=["replay-draw", str(campaign.id)])
    assert result.exit_code == 1 and "dept:scj：揭示值与承诺不符" in result.output, result.output


def test_the_single_witness_draw_is_only_a_recorded_fallback(app, county, runner):
    campaign = collecting(county)
    office = county["users"]["office"]
    with pytest.raises(CampaignError, match="必须写明原因"):
        rounds.open_fallback(campaign, "subjects", office, fallback_reason=" ", witness="王明")
    round_ = rounds.open_fallback(campaign, "subjects", office, fallback_reason="网络中断，各部门无法登录",
                                  witness="县纪委监委 王明")
    assert campaign.status == CampaignStatus.LOCKED and round_.draw.seed is None
    with pytest.raises(CampaignError, match="见证人报出种子，没有承诺"):
        rounds.commit(round_, "office", commitment("x"), office)
    rounds.run_round(round_, office, "20240603")
    db.session.commit()
    assert round_.draw.seed == "20240603" and round_.draw.witness == "县纪委监委 王明"
    page = client_for(app, "yjj_admin").get(f"/campaigns/{campaign.id}").data.decode()
    assert "网络中断，各部门无法登录" in page
    result = runner.invoke(args=["replay-draw", str(campaign.id)])
    assert result.exit_code == 0 and "备用方式，原因：网络中断" in result.output


def test_a_round_nobody_answers_falls_back_to_a_witness_with_its_reason(app, county):
    campaign = collecting(county)
    office = county["users"]["office"]
    round_ = rounds.open_round(campaign, "subjects", office)
    rounds.commit(round_, "office", commitment(secrets.token_hex(32)), office)
    with pytest.raises(CampaignError, match="必须写明原因"):
        rounds.fall_back(round_, office, fallback_reason="", witness="王明")
    rounds.fall_back(round_, office, fallback_reason="各部门系统故障，无法登录", witness="县纪委监委 王明")
    assert round_.rule.value == "witness" and round_.draw is not None and campaign.status == CampaignStatus.LOCKED
    assert round_.slot("office").commitment and round_.slot("office").left_out == "改用备用方式，未计入种子"
    with pytest.raises(CampaignError, match="只有尚在征集承诺"):
        rounds.fall_back(round_, office, fallback_reason="again", witness="王明")
    rounds.run_round(round_, office, "20261201")
    db.session.commit()
    assert round_.draw.seed == "20261201"
    page = app.test_client().get(f"/public/campaigns/{campaign.id}").data.decode()
    assert "各部门系统故障，无法登录" in page and round_.slot("office").commitment in page


def test_replacements_teams_and_one_seat_redraws_take_their_seeds_from_rounds(app, county):
    office = county["users"]["office"]
    everyone = users_of(county, "office", "dept:yjj", "dept:scj")
    campaign = drawn_campaign(county)
    closed = next(cs for cs in campaign.subjects if cs.status == DrawnStatus.ACTIVE)
    campaigns.confirm(campaign, county["yjj"].id, {closed.id: (Decision.CLOSED, "现场已停业")}, county["users"]["yjj_admin"])
    new, round_ = service_round(campaign, "replacement", everyone, office, target_id=closed.id, reason="已关闭停业")
    assert closed.status == DrawnStatus.REPLACED and new.draw is round_.draw and round_.draw.kind == "replacement"
    assert round_.draw.seed == expected_seed(round_.draw.locked_sha256, {c.slot: c.value for c in round_.contributions})
    confirm_all(campaign, office)
    record, round_ = service_round(campaign, "teams", everyone, office)
    assert campaign.status == CampaignStatus.TEAMED and record.kind == "teams" and round_.draw is record
    db.session.commit()

    # A recusal empties the seat and opens its one-seat draw's round; the seat is filled when it runs.
    cs = next(cs for cs in campaign.subjects if cs.status == DrawnStatus.ACTIVE and cs.active_members)
    member = next(m for m in cs.active_members if m.department_id == county["scj"].id)
    scj = client_for(app, "scj_admin")
    response = scj.post(f"/campaigns/{campaign.id}/members/{member.id}/recuse", data={"reason": "近亲属在该单位任职"})
    assert response.headers["Location"].endswith(f"/campaigns/{campaign.id}/teams")  # back where the clerk was
    db.session.expire_all()
    reseat = db.session.scalar(sa.select(SeedRound).where(SeedRound.kind == "reseat"))
    assert reseat.target_id == member.id and reseat.draw is None
    values = {slot: secrets.token_hex(32) for slot in everyone}
    for slot, user in everyone.items():
        rounds.commit(reseat, slot, commitment(values[slot]), user)
    for slot, user in everyone.items():
        rounds.reveal(reseat, slot, values[slot], user)
    seat = rounds.run_round(reseat, office)
    assert seat.draw is reseat.draw and seat.inspector_id != member.inspector_id
    assert seat.department_id == county["scj"].id
    db.session.commit()
    page = app.test_client().get(f"/public/campaigns/{campaign.id}").data.decode()
    assert "回避补位" in page and member.inspector.name not in page and seat.inspector.name not in page


def test_one_draw_is_locked_at_a_time(county):
    office = county["users"]["office"]
    everyone = users_of(county, "office", "dept:yjj", "dept:scj")
    campaign = drawn_campaign(county)
    first, second = [cs for cs in campaign.subjects if cs.status == DrawnStatus.ACTIVE][:2]
    for cs in (first, second):
        campaigns.confirm(campaign, county["yjj"].id, {cs.id: (Decision.NOT_FOUND, "地址无此单位")}, county["users"]["yjj_admin"])
    a = rounds.open_round(campaign, "replacement", office, target_id=first.id, reason="查无此户")
    b = rounds.open_round(campaign, "replacement", office, target_id=second.id, reason="查无此户")
    for round_ in (a, b):
        for slot, user in everyone.items():
            rounds.commit(round_, slot, commitment(secrets.token_hex(32)), user)
    assert a.commit_closed_at is not None and b.commit_closed_at is None  # b waits for a's draw
    with pytest.raises(CampaignError, match="正在揭示阶段"):
        rounds.close(b, office)


def test_parties_see_their_steps_and_the_public_sees_commitments_then_reveals(app, county):
    campaign = collecting(county)
    office = county["users"]["office"]
    round_ = rounds.open_round(campaign, "subjects", office, witness="县纪委监委 王明")
    db.session.commit()
    yjj, hbj, public = client_for(app, "yjj_admin"), client_for(app, "hbj_admin"), app.test_client()
    deadline = f"{round_.commit_deadline:%Y-%m-%d %H:%M}"
    assert f"抽取检查对象：生成随机值并提交承诺（截止 {deadline}）" in yjj.get("/").data.decode()
    assert "提交承诺" not in hbj.get("/").data.decode()  # its department takes no part
    assert "见证人 县纪委监委 王明：" in client_for(app, "office").get("/").data.decode()

    values = {slot: secrets.token_hex(32) for slot in ("office", "dept:yjj", "dept:scj", "witness")}
    users = {**users_of(county, "office", "dept:yjj", "dept:scj"), "witness": office}
    for slot, user in users.items():
        rounds.commit(round_, slot, commitment(values[slot]), user)
    db.session.commit()
    assert "提交承诺" not in yjj.get("/").data.decode()
    assert "抽取检查对象：揭示随机值（截止" in yjj.get("/").data.decode()
    page = public.get(f"/public/campaigns/{campaign.id}").data.decode()
    assert all(commitment(v) in page for v in values.values()) and round_.draw.locked_sha256 in page
    assert not any(v in page for v in values.values()) and "王明" not in page

    for slot, user in users.items():
        rounds.reveal(round_, slot, values[slot], user)
    rounds.run_round(round_, office)
    db.session.commit()
    page = public.get(f"/public/campaigns/{campaign.id}").data.decode()
    assert all(v in page for v in values.values()) and round_.draw.seed in page
    assert "揭示随机值" not in yjj.get("/").data.decode()


def test_a_last_commitment_that_cannot_lock_still_counts(county):
    """Locking may fail (here: nothing in scope); the commitment that triggered it is kept and the office,
    once it has seen why, closes by hand."""
    office = county["users"]["office"]
    campaign = campaigns.create_campaign(campaign_values(scope={"regions": ["没有这个镇"]}), county["yjj"],
                                         [county["scj"]], office)
    db.session.flush()
    submit_all_items(campaign, county)
    round_ = rounds.open_round(campaign, "subjects", office)
    for slot, user in users_of(county, "office", "dept:yjj", "dept:scj").items():
        rounds.commit(round_, slot, commitment(secrets.token_hex(32)), user)
    db.session.commit()
    db.session.expire_all()
    assert round_.commit_closed_at is None and round_.draw is None and len(round_.committed()) == 3
    with pytest.raises(CampaignError, match="没有符合条件"):
        rounds.close(round_, office)
