"""Dispatch: each staffed enterprise gets its joint record, open for results."""
from __future__ import annotations

from ...results.services import open_record
from ...states import CampaignStatus, DrawnStatus
from ...timeutil import now
from ..models import Campaign
from .common import require_status


def dispatch(campaign: Campaign) -> None:
    """Send the records out: each staffed enterprise gets its joint record, open for results."""
    require_status(campaign, CampaignStatus.TEAMED)
    campaign.status = CampaignStatus.DISPATCHED
    campaign.dispatched_at = now()
    for cs in campaign.subjects:
        if cs.status == DrawnStatus.ACTIVE and cs.active_members:
            open_record(cs)

