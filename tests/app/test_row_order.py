"""What a database returns without ORDER BY comes in no promised order (PostgreSQL moves an updated row), so it must
never shape a draw's input: the locked input, its hash and the replay would differ between databases."""
from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa

from coordinator.campaigns import services
from coordinator.campaigns.models import Campaign, Draw
from coordinator.extensions import db
from tests.app.county import build_county, campaign_values, confirm_all, submit_all_items


def _made(county, name: str, **dates) -> Campaign:
    campaign = services.create_campaign(campaign_values(name=name, burden_months=0, **dates), county["yjj"],
                                        [county["scj"]], county["users"]["office"])
    db.session.flush()
    submit_all_items(campaign, county)
    return campaign


def _drawn(campaign: Campaign, seed: str, office) -> Campaign:
    services.lock_subject_draw(campaign, office)
    services.run_subject_draw(campaign, seed, "见证人", office)
    confirm_all(campaign, office)
    return campaign


def test_of_two_earlier_campaigns_starting_the_same_day_the_later_made_names_the_previous_team(ctx):
    """The team draw keeps an enterprise's previous team away from it. Two campaigns that started the same day: the
    one made later is the previous one, whatever order the database returns their teams in."""
    county = build_county()
    office = county["users"]["office"]
    first, second = _made(county, "第一次"), _made(county, "同日开始的第二次")
    for campaign, seed in ((second, "43"), (first, "42")):  # the second's rows are stored first
        _drawn(campaign, seed, office)
        services.lock_and_run_team_draw(campaign, seed, "", office)
    db.session.commit()
    autumn = _drawn(_made(county, "秋季", period_start=date(2024, 9, 2), period_end=date(2024, 10, 31),
                          items_deadline=date(2024, 9, 6), visit_start=date(2024, 9, 16), visit_end=date(2024, 9, 27)),
                    "44", office)
    services.lock_team_draw(autumn, office)
    db.session.commit()
    locked = db.session.scalar(sa.select(Draw).where(Draw.campaign_id == autumn.id, Draw.kind == "teams"))
    teams = {campaign.id: {cs.subject.credit_code: {m.inspector.cert_no for m in cs.active_members}
                           for cs in campaign.subjects} for campaign in (first, second)}
    again = {cs.subject.credit_code for cs in autumn.subjects}
    assert again & set(teams[first.id]) & set(teams[second.id])  # enterprises both visited, drawn again in autumn
    expected = {(inspector, code) for code in again
                for inspector in teams[second.id].get(code) or teams[first.id].get(code, ())}
    assert {(c["inspector"], c["subject"]) for c in json.loads(locked.problem)["conflicts"]} == expected
