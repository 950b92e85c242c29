"""Forms of a seed round: open it, commit, reveal, run, or fall back to a witness with a reason."""
from __future__ import annotations

from wtforms import BooleanField, DateTimeLocalField, HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..campaigns.models import Campaign
from ..forms import BaseForm
from ..states import Phase
from ..timeutil import now
from ..workdays import deadline_after
from . import services
from .services import REVEAL_HOURS

HEX64 = Regexp(r"^\s*[0-9a-fA-F]{64}\s*$", message="应为64位十六进制字符")


class TargetFields(BaseForm):
    kind = HiddenField(validators=[DataRequired()])
    target_id = IntegerField(validators=[Optional()])
    reason = StringField("原因", validators=[Length(max=500)])
    allow_overdue = BooleanField("逾期未确认的部门视为确认")


class OpenRoundForm(TargetFields):
    commit_deadline = DateTimeLocalField("承诺截止时间", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    reveal_hours = IntegerField("揭示时限（小时，承诺截止后起算）", default=24,
                                validators=[NumberRange(min=REVEAL_HOURS[0], max=REVEAL_HOURS[1])])
    witness = StringField("见证人（可选，现场在本页生成并承诺）", validators=[Length(max=200)])
    with_office = BooleanField("请办公室参与（本部门自行抽取时可选）")


class SwitchForm(BaseForm):
    """The reason for the single-witness fallback, and its witness."""

    fallback_reason = StringField("改用见证人报种子的原因", validators=[DataRequired("请写明原因"), Length(max=500)])
    witness = StringField("见证人", validators=[DataRequired("请填写见证人"), Length(max=200)])


class FallbackForm(TargetFields, SwitchForm):
    pass


class CommitForm(BaseForm):
    slot = HiddenField(validators=[DataRequired()])
    commitment = StringField("承诺值（SHA-256）", validators=[DataRequired("请先生成随机值"), HEX64])


class RevealForm(BaseForm):
    slot = HiddenField(validators=[DataRequired()])
    value = StringField("随机值", validators=[DataRequired("请填写承诺时保存的随机值"), HEX64])


class RunForm(BaseForm):
    seed = StringField("见证人报出的随机种子", validators=[Length(max=200)])


def campaign_seeding(campaign: Campaign) -> dict:
    """What the campaign page shows of its seed rounds, and the forms that open one."""
    rounds = services.rounds_of(campaign.id)
    return {"rounds": rounds, "by_draw": {r.draw_id: r for r in rounds if r.draw_id},
            "open": [r for r in rounds if r.phase != Phase.DRAWN],
            "open_form": OpenRoundForm(), "fallback_form": FallbackForm(),
            "deadline": f"{deadline_after(now(), 1):%Y-%m-%dT%H:%M}"}
