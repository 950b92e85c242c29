"""What every stage of the campaign workflow shares: the refusal and the status check."""
from __future__ import annotations

from ..models import Campaign


class CampaignError(ValueError):
    """A step that cannot be taken now; the message says why, in Chinese."""


def require_status(campaign: Campaign, *allowed: str) -> None:
    if campaign.status not in allowed:
        raise CampaignError(f"联合抽查当前处于“{campaign.status_label}”阶段，不能进行此操作")
