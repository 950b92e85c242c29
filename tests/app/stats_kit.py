"""A dispatched joint campaign of the small county, with results entered by hand, for the statistics tests."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from coordinator.campaigns import services as campaigns
from coordinator.campaigns.models import CampaignSubject
from coordinator.extensions import db
from coordinator.results import services as results
from coordinator.results.models import InspectionRecord
from coordinator.states import Decision


def dispatch(campaign, county, decline: int | None = None):
    """Confirm (scj declining the `decline`-th enterprise as not its own), draw the teams, dispatch."""
    office = county["users"]["office"]
    for cd in campaign.departments:
        pending = campaigns.pending_confirmations(campaign, cd.department_id)
        decisions = {cs.id: (Decision.CONFIRMED, "") for cs in pending}
        if decline is not None and cd.department_id == county["scj"].id:
            decisions[pending[decline].id] = (Decision.NOT_OURS, "该单位不在本部门监管范围")
        campaigns.confirm(campaign, cd.department_id, decisions, office)
    campaigns.lock_and_run_team_draw(campaign, "7", "", office)
    db.session.flush()
    campaigns.dispatch(campaign)
    db.session.commit()
    return campaign


def records(campaign) -> list[InspectionRecord]:
    return list(db.session.scalars(
        sa.select(InspectionRecord).join(CampaignSubject, InspectionRecord.campaign_subject_id == CampaignSubject.id)
        .where(CampaignSubject.campaign_id == campaign.id).order_by(InspectionRecord.id)))


def enter(record, county, code: str, result: str = "未发现问题", problems: int = 0,
          follow_ups: tuple[str, ...] = ("无需后续处置",), questions: bool = False, submit: bool = True,
          inspected_on: date | None = None):
    """Department `code` enters the same result on every item of its department result (one item each in this county)."""
    department_id = county[code].id
    department_result = next(p for p in record.department_results if p.department_id == department_id)
    items = [results.ItemEntry(ci.id, result, problems, "安全管理制度未及时修订" if problems else "")
             for ci in results.items_for(department_result)]
    entry = results.ResultEntry(
        items=items, follow_ups=list(follow_ups), questions_answered=questions,
        transfer_to="县住房和城乡建设局" if "移送其他部门" in follow_ups else "",
        rectify_by=date(2024, 7, 15) if "责令改正" in follow_ups else None, inspected_on=inspected_on)
    results.save_department_result(record, department_id, entry, county["users"][f"{code}_officer"], submit=submit)
    return department_result
