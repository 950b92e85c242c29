"""The seed rule of a commit-then-reveal draw, and its check: pure functions anyone can run on published material.

Each contributor picks a secret value (64 lowercase hexadecimal characters, i.e. 32 random bytes) and first
publishes only its commitment, SHA-256 of the value's text. Once the commitments are closed the draw's input is
locked and its hash published; then the values are revealed, each checked against its commitment, and

    seed = SHA-256( "liancha-seed-1" "\\n" locked_sha256  ( "\\n" slot ":" value )… )

over the revealed values in ascending order of their slot (its code: "dept:scj", "dept:yjj", "office",
"witness"), as lowercase hexadecimal, the text encoded as UTF-8. A contributor who did not reveal is left out of
the list; its commitment stays on the record. One contributor whose value nobody else knew in advance is enough
to make the seed unpredictable to everyone before the last reveal.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

RULE = "liancha-seed-1"
VALUE = re.compile(r"[0-9a-f]{64}")
SLOT = re.compile(r"[a-z0-9:_-]{1,40}")


def commitment(value: str) -> str:
    """The commitment to a value: SHA-256 of its text (UTF-8), lowercase hexadecimal."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def combine(locked_sha256: str, reveals: Mapping[str, str]) -> str:
    """The seed: SHA-256 of the rule's name, the locked input's hash and the revealed values in slot order."""
    text = RULE + "\n" + locked_sha256 + "".join(f"\n{slot}:{reveals[slot]}" for slot in sorted(reveals))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify(material: Mapping) -> list[str]:
    """What is wrong with a published commit-reveal record (empty: the seed is right and every reveal matches).

    `material` is the "seed_round" part of a downloaded draw with the draw's "locked_sha256" and "seed":
    {"rule", "locked_sha256", "seed", "required", "contributions": [{"slot", "commitment", "value"}]}, a value
    null where it was not revealed. "required" lists the slots whose values the seed needs (a department's own
    draw: that department's; a joint one: the office's); material without it (published before it existed) needs
    the office's. Two values at least, always.
    """
    problems = []
    if material.get("rule") != RULE:
        return [f"种子规则“{material.get('rule')}”不是本工具所知的“{RULE}”"]
    reveals: dict[str, str] = {}
    for row in material.get("contributions") or []:
        slot, promised, value = row.get("slot"), row.get("commitment"), row.get("value")
        if value is None:
            continue
        if promised is None:
            problems.append(f"{slot}：没有承诺却有揭示值")
        elif commitment(value) != promised:
            problems.append(f"{slot}：揭示值与承诺不符")
        reveals[slot] = value
    required = material.get("required")
    required = ["office"] if required is None else list(required)
    missing = [slot for slot in required if slot not in reveals]
    if len(reveals) < 2 or missing:
        needed = "、".join(required) or "任意一方"
        problems.append(f"揭示值不足：须有 {needed} 的值和至少一个其他参与方的值")
    expected = combine(material.get("locked_sha256", ""), reveals)
    if material.get("seed") != expected:
        problems.append(f"种子与按规则重新计算的结果不一致（应为 {expected}）")
    return problems


def verify_download(download: Mapping) -> list[str]:
    """Check a draw as downloaded from the app ({"input", "locked_sha256", "seed_round", "result"}): the locked
    input hashes to the published hash, every reveal matches its commitment, and the input's seed is the rule's."""
    from .common import SolverInputError, canonical_json

    if not isinstance(download, Mapping) or not isinstance(download.get("input"), Mapping):
        raise SolverInputError("不是从联查通下载的抽取记录（缺少 input）")
    material = download.get("seed_round")
    if not isinstance(material, Mapping):
        raise SolverInputError("这次抽取没有多方承诺—揭示记录（seed_round 为空），种子由见证人报出")
    problems = []
    locked = {k: v for k, v in download["input"].items() if k != "seed"}
    digest = hashlib.sha256(canonical_json(locked).encode("utf-8")).hexdigest()
    if digest != download.get("locked_sha256") or digest != material.get("locked_sha256"):
        problems.append("锁定的输入与公布的哈希值不一致")
    if material.get("rule") == "witness":
        return problems + [f"种子由见证人报出（备用方式，原因：{material.get('fallback_reason', '')}），没有承诺可核对"]
    if material.get("seed") != download["input"].get("seed"):
        problems.append("输入中的种子与种子记录不一致")
    return problems + verify(material)
