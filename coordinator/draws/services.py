"""Seed rounds for every kind of draw: open, commit, close (lock the input), reveal, run; and their check.

A round's life: the office opens it (a commitment window with its deadline); the office and each department of
the campaign (and a witness, where there is one) commit to a secret value by its SHA-256; when every commitment is
in, or the office closes the window, the draw's input is locked and hashed; each contributor reveals its value,
which must match its commitment; when every committed value is revealed, or the reveal deadline has passed, the
office runs the draw with seed = solver.seed.combine(locked hash, revealed values). Whoever did not commit or
reveal in time is recorded as left out. The required parties' values are needed, and at least two values in all:
in a joint campaign the office's; in a department's own draw (one department: its internal or special
inspection, run by its admin as seed 000's annex has the brigade draw its own) that department's, beside an
independent witness or the office — the office takes part only when the round is opened with it (or by it).

The single-witness draw (one person announces the seed) remains as a fallback the office must give a reason for.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from solver import seed as seed_rule

from ..audit import services as audit
from ..auth.models import User
from ..campaigns import services as campaigns
from ..campaigns import staffing
from ..campaigns.models import Campaign, CampaignSubject, Draw, TeamMember
from ..campaigns.services.common import CampaignError, require_status
from ..experts import services as experts
from ..extensions import db
from ..states import CampaignStatus, DrawKind, DrawnStatus
from ..timeutil import now
from ..workdays import deadline_after
from .models import OFFICE_SLOT, WITNESS_SLOT, Phase, SeedContribution, SeedRound, SeedRule

COMMITMENT = re.compile(r"[0-9a-f]{64}")
REVEAL_HOURS = (1, 168)


@dataclass(frozen=True)
class Kind:
    """How one kind of draw is checked before it opens, locked, and run; `target` as SeedRound.target_id."""

    check: Callable[[Campaign, SeedRound], None]
    lock: Callable[[Campaign, SeedRound, User], Draw]
    run: Callable[[Campaign, SeedRound, str, User], object]


def _target(model, round_: SeedRound, campaign: Campaign):
    row = db.session.get(model, round_.target_id) if round_.target_id else None
    owner = row.campaign_id if isinstance(row, CampaignSubject) else (row.campaign_subject.campaign_id if row else None)
    if owner != campaign.id:
        raise CampaignError("抽取对象不属于这次联合抽查")
    return row


def _check_subjects(campaign: Campaign, round_: SeedRound) -> None:
    require_status(campaign, CampaignStatus.COLLECTING)
    missing = [cd.department.name for cd in campaign.departments if not cd.submitted_at]
    if missing:
        raise CampaignError(f"以下部门尚未提交抽查事项：{'、'.join(missing)}")


def _check_teams(campaign: Campaign, round_: SeedRound) -> None:
    campaigns.check_team_draw_ready(campaign, round_.allow_overdue)


def _check_replacement(campaign: Campaign, round_: SeedRound) -> None:
    require_status(campaign, CampaignStatus.DRAWN)
    cs = _target(CampaignSubject, round_, campaign)
    if cs.status != DrawnStatus.ACTIVE:
        raise CampaignError("该检查对象已被替换")
    if not round_.reason.strip():
        raise CampaignError("请填写替换原因")


def _check_reseat(campaign: Campaign, round_: SeedRound) -> None:
    require_status(campaign, CampaignStatus.TEAMED, CampaignStatus.DISPATCHED)
    if _target(TeamMember, round_, campaign).recused_at is None:
        raise CampaignError("该执法人员没有回避，席位不需要补抽")


KINDS = {
    "subjects": Kind(_check_subjects,
                     lambda c, r, u: campaigns.lock_subject_draw(c, u),
                     lambda c, r, seed, u: campaigns.run_subject_draw(c, seed, r.witness, u)),
    "teams": Kind(_check_teams,
                  lambda c, r, u: campaigns.lock_team_draw(c, u, r.allow_overdue),
                  lambda c, r, seed, u: campaigns.run_team_draw(c, seed, r.witness, u)),
    "replacement": Kind(_check_replacement,
                        lambda c, r, u: campaigns.lock_replacement(c, _target(CampaignSubject, r, c), r.reason, u),
                        lambda c, r, seed, u: campaigns.run_replacement(
                            c, r.draw, _target(CampaignSubject, r, c), r.reason, seed, r.witness, u)),
    "restaff": Kind(lambda c, r: staffing.check_restaff(c),
                    lambda c, r, u: staffing.lock_restaff(c, u),
                    lambda c, r, seed, u: staffing.run_restaff(c, r.draw, seed, r.witness, u)),
    "experts": Kind(lambda c, r: experts.check(c),
                    lambda c, r, u: experts.lock(c, u),
                    lambda c, r, seed, u: experts.run(c, r.draw, seed, r.witness, u)),
    "reseat": Kind(_check_reseat,
                   lambda c, r, u: campaigns.lock_reseat(c, _target(TeamMember, r, c), u),
                   lambda c, r, seed, u: campaigns.run_reseat(c, r.draw, _target(TeamMember, r, c), seed,
                                                              r.witness, u)),
}


# ---- queries ----------------------------------------------------------------------------------------------


def rounds_of(campaign_id: int) -> list[SeedRound]:
    return db.session.scalars(sa.select(SeedRound).where(SeedRound.campaign_id == campaign_id)
                              .order_by(SeedRound.id)).all()


def recuse(campaign: Campaign, member: TeamMember, reason: str, user: User, witness: str = "") -> SeedRound:
    """Recuse one seated inspector and open the seed round of the one-seat draw that fills the seat. In a
    department's own draw the seat's seed is the department's and the witness's, or, with no witness named, the
    office's as the independent party."""
    campaigns.withdraw(campaign, member, reason, user)
    # The round names only who leaves: the reason is personal and stays with the inspector's department.
    return open_round(campaign, DrawKind.RESEAT, user, target_id=member.id, reason=f"{member.inspector.name}回避",
                      witness=witness, with_office=not witness.strip())


def open_rounds(campaign_id: int | None = None) -> list[SeedRound]:
    """Rounds whose draw has not run yet (of one campaign, or of all)."""
    query = (sa.select(SeedRound).outerjoin(Draw, Draw.id == SeedRound.draw_id)
             .where(Draw.result.is_(None)).order_by(SeedRound.id))
    if campaign_id is not None:
        query = query.where(SeedRound.campaign_id == campaign_id)
    return db.session.scalars(query).all()


def round_for_draw(draw_id: int) -> SeedRound | None:
    return db.session.scalar(sa.select(SeedRound).where(SeedRound.draw_id == draw_id))


def pending_for(round_: SeedRound, user: User, at: datetime | None = None) -> list[SeedContribution]:
    """The contributions `user` still has to commit or reveal in this round, while the window is open."""
    at = at or now()
    return [c for c in round_.contributions if round_.may_act(c, user) and (
        (round_.commit_open(at) and not c.commitment) or (round_.reveal_open(at) and c.commitment and not c.value))]


# ---- the round's steps ---------------------------------------------------------------------------------


def open_round(campaign: Campaign, kind: str, user: User, *, commit_deadline: datetime | None = None,
               reveal_hours: int = 24, witness: str = "", target_id: int | None = None, reason: str = "",
               allow_overdue: bool = False, with_office: bool = False) -> SeedRound:
    """Open the commitment window of a draw: a slot for each department of the campaign, the witness when one is
    named, and the office — always in a joint campaign; in a department's own draw when `with_office` or when the
    office opens it. A department's own draw needs a second party: a witness or the office."""
    at = now()
    commit_deadline = commit_deadline or deadline_after(at, 1)
    if commit_deadline <= at:
        raise CampaignError("承诺截止时间须晚于现在")
    if not REVEAL_HOURS[0] <= reveal_hours <= REVEAL_HOURS[1]:
        raise CampaignError(f"揭示时限须为{REVEAL_HOURS[0]}至{REVEAL_HOURS[1]}小时")
    round_ = _new_round(campaign, kind, user, SeedRule.COMMIT_REVEAL, target_id=target_id, reason=reason,
                        witness=witness, allow_overdue=allow_overdue)
    round_.commit_deadline, round_.reveal_hours = commit_deadline, reveal_hours
    office = campaign.is_joint or with_office or user.is_office
    if not office and not witness.strip():
        raise CampaignError("本部门自行抽取时，随机种子还需要本部门以外的一方：请填写见证人，或请办公室参与")
    if office:
        round_.contributions.append(SeedContribution(slot=OFFICE_SLOT, label="领导小组办公室"))
    for cd in campaign.departments:
        round_.contributions.append(SeedContribution(slot=f"dept:{cd.department.code}"[:40],
                                                     department_id=cd.department_id, label=cd.department.name))
    if witness.strip():
        round_.contributions.append(SeedContribution(slot=WITNESS_SLOT, label=f"见证人 {witness.strip()}"[:200]))
    db.session.flush()
    return round_


def open_fallback(campaign: Campaign, kind: str, user: User, *, fallback_reason: str, witness: str,
                  target_id: int | None = None, reason: str = "", allow_overdue: bool = False) -> SeedRound:
    """The single-witness draw, only as a recorded fallback: the input is locked at once, and the witness then
    announces the seed (run_round with `witness_seed`)."""
    if not fallback_reason.strip():
        raise CampaignError("改用见证人报出种子时必须写明原因")
    if not witness.strip():
        raise CampaignError("请填写见证人")
    round_ = _new_round(campaign, kind, user, SeedRule.WITNESS, target_id=target_id, reason=reason,
                        witness=witness, allow_overdue=allow_overdue)
    round_.fallback_reason = fallback_reason.strip()[:500]
    round_.commit_deadline = now()
    db.session.flush()
    _lock(campaign, round_, user)
    return round_


def fall_back(round_: SeedRound, user: User, *, fallback_reason: str, witness: str) -> Draw:
    """Turn a round still taking commitments into the single-witness fallback (the parties cannot take part):
    nothing has been revealed, the commitments made stay on the record, unused, and the input is locked now."""
    if round_.phase is not Phase.COMMITTING or round_.rule is not SeedRule.COMMIT_REVEAL:
        raise CampaignError("只有尚在征集承诺的抽取可以改用备用方式")
    if not fallback_reason.strip():
        raise CampaignError("改用见证人报出种子时必须写明原因")
    if not witness.strip():
        raise CampaignError("请填写见证人")
    round_.rule, round_.fallback_reason = SeedRule.WITNESS, fallback_reason.strip()[:500]
    round_.witness = witness.strip()[:200]
    for contribution in round_.contributions:
        contribution.left_out = "改用备用方式，未计入种子"
    return _lock(db.session.get(Campaign, round_.campaign_id), round_, user)


def _new_round(campaign: Campaign, kind: str, user: User, rule: SeedRule, **values) -> SeedRound:
    if kind not in KINDS:
        raise CampaignError("未知的抽取类型")
    values["reason"] = values["reason"].strip()[:500]
    values["witness"] = values["witness"].strip()[:200]
    round_ = SeedRound(campaign_id=campaign.id, campaign=campaign, kind=kind, rule=rule, opened_by_id=user.id,
                       opened_at=now(), **values)
    KINDS[kind].check(campaign, round_)
    if any(r.kind == kind and r.target_id == round_.target_id for r in open_rounds(campaign.id)):
        raise CampaignError("这一抽取已有进行中的随机种子征集，请在其页面上继续")
    db.session.add(round_)
    return round_


def commit(round_: SeedRound, slot: str, commitment: str, user: User) -> None:
    """Record a commitment (SHA-256 of a secret value the contributor keeps); closes the window when it is the
    last one."""
    contribution = _contribution(round_, slot, user)
    if not round_.commit_open():
        raise CampaignError("承诺已截止，不能再提交")
    commitment = commitment.strip().lower()
    if not COMMITMENT.fullmatch(commitment):
        raise CampaignError("承诺值应为64位十六进制的SHA-256摘要（由页面根据随机值自动计算）")
    if any(c.commitment == commitment for c in round_.contributions if c is not contribution):
        raise CampaignError("这个承诺值与其他参与方的相同，请重新生成随机值")
    contribution.commitment, contribution.committed_by_id, contribution.committed_at = commitment, user.id, now()
    db.session.flush()
    if all(c.commitment for c in round_.contributions) and not _blocking_round(round_):
        # The last commitment closes the window; should locking fail (say the input changed meanwhile), the
        # commitment still counts and the office closes by hand once it has seen why.
        try:
            with db.session.begin_nested():
                close(round_, round_.opened_by or user)
        except CampaignError:
            pass


def close(round_: SeedRound, user: User) -> Draw:
    """Close the commitments and lock the draw's input: from now on nobody can commit, and the input is fixed."""
    if round_.phase is not Phase.COMMITTING:
        raise CampaignError("承诺已经截止")
    missing = [c.label for c in round_.contributions if round_.required(c) and not c.commitment]
    if missing:
        raise CampaignError(f"{'、'.join(missing)}尚未提交承诺，不能截止")
    if len(round_.committed()) < 2:
        raise CampaignError(f"除{round_.required_labels}外至少还需要一个参与方（{round_.others_label}）提交承诺，才能截止")
    blocking = _blocking_round(round_)
    if blocking:
        raise CampaignError(f"“{blocking.kind_label}”的抽取正在揭示阶段，请在它完成后再截止本次承诺")
    campaign = db.session.get(Campaign, round_.campaign_id)
    for contribution in round_.contributions:
        if not contribution.commitment:
            contribution.left_out = "未在截止前提交承诺"
    return _lock(campaign, round_, user)


def _lock(campaign: Campaign, round_: SeedRound, user: User) -> Draw:
    at = now()
    # Claimed by a conditional update, so that two closings at once (the office's button and a last commitment)
    # lock one input: the second waits for the first and then finds the window closed.
    claimed = db.session.execute(
        sa.update(SeedRound).where(SeedRound.id == round_.id, SeedRound.commit_closed_at.is_(None))
        .values(commit_closed_at=at).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise CampaignError("承诺已经截止（可能是其他人刚刚截止），请刷新后查看")
    record = KINDS[round_.kind].lock(campaign, round_, user)
    round_.draw, round_.commit_closed_at = record, at
    round_.reveal_deadline = at + timedelta(hours=round_.reveal_hours)
    db.session.flush()
    return record


def _blocking_round(round_: SeedRound) -> SeedRound | None:
    """Another draw of the campaign whose input is locked and not yet run: its input would not show this one's
    result (two replacements could draw the same enterprise), so one locks at a time."""
    return next((r for r in open_rounds(round_.campaign_id) if r.id != round_.id and r.phase is Phase.REVEALING),
                None)


def reveal(round_: SeedRound, slot: str, value: str, user: User) -> None:
    """Record a revealed value, which must match its commitment."""
    contribution = _contribution(round_, slot, user)
    if not round_.reveal_open():
        raise CampaignError("现在不能揭示：" + ("承诺尚未截止" if round_.phase is Phase.COMMITTING else "揭示已截止"))
    if not contribution.commitment:
        raise CampaignError("没有提交承诺的参与方不能揭示")
    if contribution.value:
        raise CampaignError("已经揭示过了")
    value = value.strip().lower()
    if not seed_rule.VALUE.fullmatch(value):
        raise CampaignError("随机值应为64位十六进制字符")
    if seed_rule.commitment(value) != contribution.commitment:
        raise CampaignError("揭示的随机值与承诺不符（请使用承诺时生成并保存的那个随机值）")
    contribution.value, contribution.revealed_by_id, contribution.revealed_at = value, user.id, now()
    db.session.flush()


def run_round(round_: SeedRound, user: User, witness_seed: str = ""):
    """Run the draw with the seed the round made (or, in a witness round, the seed the witness announced)."""
    if round_.phase is not Phase.REVEALING:
        raise CampaignError("这次抽取尚未锁定输入" if round_.phase is Phase.COMMITTING else "这次抽取已经完成")
    campaign = db.session.get(Campaign, round_.campaign_id)
    if round_.rule is SeedRule.WITNESS:
        seed = witness_seed.strip()
        if not seed:
            raise CampaignError("请填写见证人报出的随机种子")
    else:
        seed = _seed_from_reveals(round_)
    outcome = KINDS[round_.kind].run(campaign, round_, seed, user)
    audit.log("seed", "seed_round", round_.id, None,
                 {"rule": round_.rule.value, "seed": seed, "draw": round_.draw_id,
                  "left_out": [c.slot for c in round_.contributions if c.left_out]}, user=user)
    return outcome


def _seed_from_reveals(round_: SeedRound) -> str:
    if not round_.ready_to_run():
        raise CampaignError(f"还有参与方未揭示，揭示截止时间为 {round_.reveal_deadline:%Y-%m-%d %H:%M}")
    missing = [c.label for c in round_.contributions if round_.required(c) and not c.value]
    if missing:
        raise CampaignError(f"{'、'.join(missing)}的随机值尚未揭示，不能抽取")
    revealed = {c.slot: c.value for c in round_.contributions if c.value}
    if len(revealed) < 2:
        raise CampaignError(f"除{round_.required_labels}外没有任何参与方揭示随机值，这次抽取不能进行")
    for contribution in round_.contributions:
        if contribution.commitment and not contribution.value:
            contribution.left_out = "未在时限内揭示"
    return seed_rule.combine(round_.draw.locked_sha256, revealed)


def _contribution(round_: SeedRound, slot: str, user: User) -> SeedContribution:
    if round_.rule is not SeedRule.COMMIT_REVEAL:
        raise CampaignError("这次抽取由见证人报出种子，没有承诺和揭示")
    contribution = round_.slot(slot)
    if contribution is None:
        raise CampaignError("没有这个参与方")
    if not round_.may_act(contribution, user):
        raise PermissionError(slot)
    return contribution


# ---- what is published, and its check ------------------------------------------------------------------------


def material(round_: SeedRound, *, reveals: bool = True) -> dict:
    """The round as published with its draw: enough for solver.seed.verify. Without `reveals`, the values stay
    out (before the draw runs, nobody but their owner should learn them from the app)."""
    return {
        "rule": seed_rule.RULE if round_.rule is SeedRule.COMMIT_REVEAL else "witness",
        "fallback_reason": round_.fallback_reason,
        "required": round_.required_slots,
        "locked_sha256": round_.draw.locked_sha256 if round_.draw else None,
        "seed": round_.draw.seed if round_.draw else None,
        "commit_deadline": f"{round_.commit_deadline:%Y-%m-%d %H:%M:%S}",
        "commit_closed_at": f"{round_.commit_closed_at:%Y-%m-%d %H:%M:%S}" if round_.commit_closed_at else None,
        "reveal_deadline": f"{round_.reveal_deadline:%Y-%m-%d %H:%M:%S}" if round_.reveal_deadline else None,
        "contributions": [
            {"slot": c.slot, "label": c.label, "commitment": c.commitment,
             "committed_by": c.committed_by.display_name if c.committed_by else None,
             "committed_at": f"{c.committed_at:%Y-%m-%d %H:%M:%S}" if c.committed_at else None,
             "value": c.value if reveals else None,
             "revealed_by": c.revealed_by.display_name if c.revealed_by and reveals else None,
             "revealed_at": f"{c.revealed_at:%Y-%m-%d %H:%M:%S}" if c.revealed_at and reveals else None,
             "left_out": c.left_out}
            for c in round_.contributions],
    }


def verify_seed(record: Draw) -> str | None:
    """None when the stored seed is the rule's function of the locked hash and the reveals, and every reveal
    matches its commitment; otherwise what is wrong. A draw without a round predates the rule."""
    round_ = round_for_draw(record.id)
    if record.result is None or round_ is None or round_.rule is SeedRule.WITNESS:
        return None
    problems = seed_rule.verify(material(round_))
    return "；".join(problems) or None


def seed_source(record: Draw) -> str:
    """Where a draw's seed came from, in Chinese, for the replay report."""
    round_ = round_for_draw(record.id)
    if round_ is None:
        return "见证人报出（本记录早于多方承诺—揭示规则）" if record.kind in ("subjects", "teams") else "由主抽取种子派生"
    if round_.rule is SeedRule.WITNESS:
        return f"见证人报出（备用方式，原因：{round_.fallback_reason}）"
    revealed = sum(1 for c in round_.contributions if c.value)
    return f"多方承诺—揭示（{revealed}/{len(round_.contributions)}方揭示）"
