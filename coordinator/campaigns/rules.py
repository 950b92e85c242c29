"""The campaign's drawing rules: defaults from the seed notices, strata, weights, who visits whom."""
from __future__ import annotations

from ..vocab import HISTORY_FLAGS, RISK_CLASSES

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


def parse_risk_ratios(text: str) -> dict[str, float]:
    """"D:1, C:0.5" (or "D：100%") → {"D": 1.0, "C": 0.5}; ValueError with a Chinese reason otherwise."""
    ratios = {}
    for part in filter(None, (p.strip() for p in text.replace("，", ",").replace("；", ",").split(","))):
        klass, _, value = part.replace("：", ":").partition(":")
        klass = klass.strip().upper().removesuffix("类")
        if klass not in RISK_CLASSES:
            raise ValueError(f"“{part}”：信用风险类别应为 A、B、C、D 之一，写成“D:1, C:0.5”")
        try:
            ratio = float(value.strip().rstrip("%")) / (100 if value.strip().endswith("%") else 1)
        except ValueError:
            raise ValueError(f"“{part}”：比例应写成 0.5 或 50%") from None
        if not 0 < ratio <= 1:
            raise ValueError(f"“{part}”：比例应在0到1之间（不含0）")
        ratios[klass] = ratio
    return ratios


def format_risk_ratios(ratios: dict | None) -> str:
    return ", ".join(f"{k}:{v:g}" for k, v in (ratios or {}).items())


def subject_stratum(strata: list[dict], category: str, crowded: bool, risk_class: str) -> str | None:
    """The enterprise's stratum; inside a stratum whose credit-risk class has a ratio of its own, the class's part
    ("一般单位·D类") is drawn as a stratum of its own at that ratio (seed 000: 上浮抽查比例)."""
    found = stratum_of(strata, category, crowded)
    stratum = next((s for s in strata if s["id"] == found), None)
    if stratum is not None and risk_class in (stratum.get("risk_ratios") or {}):
        return risk_part(found, risk_class)
    return found


def risk_part(stratum_id: str, risk_class: str) -> str:
    return f"{stratum_id}·{risk_class}类"


def solver_strata(strata: list[dict]) -> list[dict]:
    """The campaign's strata in the solver's form: {"id", "all" | "ratio" | "count"}, each class with a ratio of its
    own as a stratum of its own."""
    converted = []
    for stratum in strata:
        for risk_class, ratio in (stratum.get("risk_ratios") or {}).items():
            converted.append({"id": risk_part(stratum["id"], risk_class), "ratio": float(ratio)})
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
