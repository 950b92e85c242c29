"""What each person has to do next: the workbench's to-do list, computed from the campaigns and records."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for

from ..auth.models import User
from ..campaigns import services as campaigns
from ..campaigns.models import Campaign
from ..exchange import services as exchange
from ..extensions import db
from ..timeutil import today


@dataclass
class Task:
    text: str
    url: str
    late: bool = False


def open_campaigns() -> list[Campaign]:
    return db.session.scalars(sa.select(Campaign).where(Campaign.status != "finished")
                              .order_by(Campaign.visit_start)).all()


def tasks_for(user: User) -> list[Task]:
    """Items to submit, enterprises to confirm (late ones first), and for the office every late department."""
    tasks: list[Task] = []
    for campaign in open_campaigns():
        detail = url_for("campaigns.detail", campaign_id=campaign.id)
        pending = campaigns.pending_counts(campaign) if campaign.status == "drawn" else {}
        for cd in campaign.departments:
            mine = cd.department_id == user.department_id
            if not (mine or user.is_office):
                continue
            who = "" if mine else f"{cd.department.name}："
            if campaign.status == "collecting" and not cd.submitted_at:
                late = today() > campaign.items_deadline
                tasks.append(Task(f"{who}提交“{campaign.name}”的抽查事项（截止 {campaign.items_deadline}）",
                                  url_for("campaigns.items", campaign_id=campaign.id) if mine else detail, late))
            if campaign.status == "drawn" and cd.confirmed_at is None:
                target = url_for("campaigns.confirm", campaign_id=campaign.id) if mine and user.role == "admin" \
                    else detail
                tasks.append(Task(f"{who}确认“{campaign.name}”抽中的{pending[cd.department_id]}户检查对象（时限 "
                                  f"{cd.confirm_deadline:%Y-%m-%d %H:%M}）", target, campaigns.overdue(cd)))
        if user.is_office and campaign.status == "locked":
            tasks.append(Task(f"“{campaign.name}”名单已锁定，待见证人报出随机种子后抽取", detail))
        if user.is_office and campaign.status == "drawn" and campaigns.flagged(campaign):
            tasks.append(Task(f"“{campaign.name}”有被标记为关闭或查无此户的检查对象待替换", detail))
    if user.is_office:
        # Stale sources (the directory at least yearly, seed 003) and drawn enterprises the registry closed.
        tasks += [Task(line, url_for("exchange.index"), True) for line in exchange.reminders()]
    return sorted(tasks, key=lambda t: not t.late)
