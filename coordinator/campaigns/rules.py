"""The campaign's drawing rules: defaults from the seed notices, strata, weights, who visits whom."""
from __future__ import annotations

from ..vocab import HISTORY_FLAGS

# Seed 000 (fire supervision): crowded-place key units every year, other key units >= 80 %, general >= 20 %,
# 九小 >= 2 %. Seed 004 (the joint campaign): >= 20 % of the subjects in scope.
STRATA_PRESETS = {
    "fire": {
        "label": "按单位类别分层（消防监督抽查规则）",
        "strata": [
            {"id": "重点-人员密集", "category": "消防安全重点单位", "crowded": True, "mode": "all", "value": None},
            {"id": "重点-其他", "category": "消防安全重点单位", "crowded": None, "mode": "ratio", "value": 0.8},
            {"id": "一般单位", "category": "一般单位", "crowded": None, "mode": "ratio", "value": 0.2},
            {"id": "九小场所", "category": "九小场所", "crowded": None, "mode": "ratio", "value": 0.02},
        ],
    },
    "joint20": {
        "label": "范围内统一比例（联合抽查不低于20%）",
        "strata": [{"id": "范围内全部", "category": "*", "crowded": None, "mode": "ratio", "value": 0.2}],
    },
}
# Seed 002: credit-risk classes raise or lower the chance of being drawn.
DEFAULT_RISK_WEIGHTS = {"A": 0.5, "B": 1.0, "C": 1.5, "D": 2.0, "": 1.0}
# Seed 003: units with complaints, accidents, penalties, on the blacklist or with major hidden danger.
MUST_FLAG_LABELS = dict(HISTORY_FLAGS)
DEFAULT_MUST_FLAGS = ["blacklisted", "major_hazard"]
DEFAULT_EXPERTISE_INDUSTRIES = ["危险化学品", "烟花爆竹"]
# A must-inspect entry "coverage:<rule id>": the enterprises still due under that coverage rule are drawn.
COVERAGE_FLAG = "coverage:"


def coverage_rule_ids(must_flags: list[str] | None) -> list[int]:
    return [int(f[len(COVERAGE_FLAG):]) for f in must_flags or [] if f.startswith(COVERAGE_FLAG)]


def subject_flags(must_flags: list[str] | None) -> list[str]:
    """The must-inspect entries that are enterprise attributes (blacklisted, major_hazard, ...)."""
    return [f for f in must_flags or [] if f in MUST_FLAG_LABELS]


def stratum_of(strata: list[dict], category: str, crowded: bool) -> str | None:
    """The first stratum whose category (and crowded flag, if set) matches; None if none does."""
    for stratum in strata:
        if stratum["category"] not in ("*", category):
            continue
        if stratum.get("crowded") is not None and bool(stratum["crowded"]) != bool(crowded):
            continue
        return stratum["id"]
    return None


def solver_strata(strata: list[dict]) -> list[dict]:
    """The campaign's strata in the solver's form: {"id", "all" | "ratio" | "count"}."""
    converted = []
    for stratum in strata:
        if stratum["mode"] == "all":
            converted.append({"id": stratum["id"], "all": True})
        elif stratum["mode"] == "count":
            converted.append({"id": stratum["id"], "count": int(stratum["value"])})
        else:
            converted.append({"id": stratum["id"], "ratio": float(stratum["value"])})
    return converted


def item_reaches(industries: list[str], subject_industry: str) -> bool:
    return "全部" in industries or subject_industry in industries


def uses_credit_risk(weights: dict) -> bool:
    """Seed 002 counts a draw as 'using credit-risk classes' when the classes change the weights."""
    return len({round(float(w), 6) for w in weights.values()}) > 1
