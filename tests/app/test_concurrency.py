"""Nothing doubled, nothing lost: two people doing the same step at the same moment (SQLite and PostgreSQL)."""
from __future__ import annotations

import sqlalchemy as sa

from coordinator.auth.models import User
from coordinator.campaigns import services as campaigns
from coordinator.campaigns.models import Campaign, CampaignSubject, Draw
from coordinator.extensions import db
from coordinator.results import services as results
from coordinator.results.models import DepartmentResult, InspectionRecord, ItemResult
from coordinator.states import DrawKind, DrawnStatus
from tests.app.county import build_county, campaign_values, confirm_all, submit_all_items
from tests.app.together import together


def at_once(app, work, count: int = 2) -> list[str]:
    """Run `work(index)` in `count` threads released together, each committing; their outcomes as text."""

    def step(index: int, barrier) -> str:
        work(index, barrier)
        db.session.commit()
        return "ok"

    def outcome(result) -> str:
        if isinstance(result, (campaigns.CampaignError, results.ResultError)):
            return f"refused: {result}"
        if isinstance(result, (sa.exc.IntegrityError, sa.exc.OperationalError)):
            return f"database: {type(result).__name__}"
        return result if isinstance(result, str) else repr(result)

    return [outcome(result) for result in together(app, step, count)]


def locked_campaign(county) -> int:
    office = county["users"]["office"]
    campaign = campaigns.create_campaign(campaign_values(), county["yjj"], [county["scj"]], office)
    db.session.flush()
    submit_all_items(campaign, county, office)
    campaigns.lock_subject_draw(campaign, office)
    db.session.commit()
    return campaign.id


def test_two_coordinators_pressing_draw_at_once_make_exactly_one_draw(app, ctx):
    county = build_county()
    campaign_id = locked_campaign(county)
    office_id = county["users"]["office"].id

    def draw(index, barrier):
        campaign = db.session.get(Campaign, campaign_id)
        office = db.session.get(User, office_id)
        barrier.wait()
        campaigns.run_subject_draw(campaign, f"seed-{index}", "", office)

    outcomes = at_once(app, draw)
    assert sorted(o == "ok" for o in outcomes) == [False, True], outcomes
    db.session.expire_all()
    record = db.session.scalar(sa.select(Draw).where(Draw.kind == DrawKind.SUBJECTS))
    winner = outcomes.index("ok")
    assert record.seed == f"seed-{winner}"
    drawn = db.session.scalars(sa.select(CampaignSubject).where(CampaignSubject.campaign_id == campaign_id)).all()
    assert len(drawn) == 20 and len({cs.subject_id for cs in drawn}) == 20  # one set, not two
    assert campaigns.replay(record) is None


def test_two_coordinators_locking_at_once_make_one_locked_input(app, ctx):
    county = build_county()
    office = county["users"]["office"]
    campaign = campaigns.create_campaign(campaign_values(), county["yjj"], [county["scj"]], office)
    db.session.flush()
    submit_all_items(campaign, county, office)
    db.session.commit()
    campaign_id, office_id = campaign.id, office.id

    def lock(index, barrier):
        barrier.wait()
        campaigns.lock_subject_draw(db.session.get(Campaign, campaign_id), db.session.get(User, office_id))

    outcomes = at_once(app, lock)
    assert outcomes.count("ok") == 1, outcomes
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Draw)) == 1


def test_a_result_submitted_twice_at_once_is_one_result(app, ctx):
    county = build_county()
    office = county["users"]["office"]
    campaign = db.session.get(Campaign, locked_campaign(county))
    campaigns.run_subject_draw(campaign, "1", "", office)
    confirm_all(campaign, office)
    campaigns.lock_and_run_team_draw(campaign, "2", "", office)
    campaigns.dispatch(campaign)
    db.session.commit()
    record_id = db.session.scalars(sa.select(InspectionRecord.id).order_by(InspectionRecord.id)).first()
    yjj_id, user_id = county["yjj"].id, county["users"]["yjj_admin"].id

    def submit(index, barrier):
        record = db.session.get(InspectionRecord, record_id)
        department_result = next(p for p in record.department_results if p.department_id == yjj_id)
        entry = results.ResultEntry(items=[results.ItemEntry(ci.id, "未发现问题") for ci in results.items_for(department_result)],
                                  follow_ups=["无需后续处置"])
        barrier.wait()
        results.save_department_result(record, yjj_id, entry, db.session.get(User, user_id), submit=True)

    outcomes = at_once(app, submit)
    assert "ok" in outcomes, outcomes
    department_result = db.session.scalar(sa.select(DepartmentResult).where(DepartmentResult.record_id == record_id,
                                                               DepartmentResult.department_id == yjj_id))
    db.session.refresh(department_result)
    expected = len(results.items_for(department_result))
    stored = db.session.scalar(sa.select(sa.func.count()).select_from(ItemResult)
                               .where(ItemResult.department_result_id == department_result.id))
    assert stored == expected and department_result.submitted_at is not None


def test_closing_a_seed_round_twice_at_once_locks_one_input(app, ctx):
    """The office's close button and a replacement round's last commitment at one moment: one Draw, one input."""
    from coordinator.draws import services as rounds
    from coordinator.draws.models import SeedRound
    from tests.app.seeding import commitment

    county = build_county()
    office = county["users"]["office"]
    campaign = campaigns.create_campaign(campaign_values(), county["yjj"], [county["scj"]], office)
    db.session.flush()
    submit_all_items(campaign, county, office)
    campaigns.lock_subject_draw(campaign, office)
    campaigns.run_subject_draw(campaign, "1", "", office)
    cs = next(cs for cs in campaign.subjects if cs.status == DrawnStatus.ACTIVE)
    round_ = rounds.open_round(campaign, "replacement", office, target_id=cs.id, reason="查无此户")
    rounds.commit(round_, "office", commitment("a" * 64), office)
    rounds.commit(round_, "dept:yjj", commitment("b" * 64), county["users"]["yjj_admin"])
    db.session.commit()
    round_id, office_id, scj_id = round_.id, office.id, county["users"]["scj_admin"].id

    def close(index, barrier):
        round_ = db.session.get(SeedRound, round_id)
        barrier.wait()
        if index == 0:
            rounds.close(round_, db.session.get(User, office_id))
        else:
            rounds.commit(round_, "dept:scj", commitment("c" * 64), db.session.get(User, scj_id))

    outcomes = at_once(app, close)
    db.session.expire_all()
    draws = db.session.scalars(sa.select(Draw).where(Draw.kind == DrawKind.REPLACEMENT)).all()
    assert len(draws) == 1, outcomes
    assert db.session.get(SeedRound, round_id).draw_id == draws[0].id
