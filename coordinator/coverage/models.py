"""A coverage rule: a department's duty to inspect a share of a population of enterprises in every period."""
from __future__ import annotations

import math
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Department
from ..directories.models import Subject
from ..extensions import db
from ..states import Labelled, SubjectStatus, db_enum
from ..timeutil import now
from ..vocab import HISTORY_FLAGS, RISK_LABELS


class CoveragePeriod(Labelled):
    """How often a rule's share must be reached: every calendar year, or every half-year (seed 003)."""

    YEAR = "year", "每年"
    HALF = "half", "每半年"

    def periods(self, year: int) -> list[tuple[str, date, date]]:
        """(label, first day, last day) of each period of `year`."""
        if self == CoveragePeriod.YEAR:
            return [(f"{year}年", date(year, 1, 1), date(year, 12, 31))]
        return [(f"{year}年上半年", date(year, 1, 1), date(year, 6, 30)),
                (f"{year}年下半年", date(year, 7, 1), date(year, 12, 31))]

    def period_of(self, day: date) -> tuple[str, date, date]:
        return next(p for p in self.periods(day.year) if p[1] <= day <= p[2])


# Seeds 000 (fire brigade) and 003 (emergency management): the duties a county starts from, by department code.
TROUBLE_FLAGS = ["has_complaint", "has_accident", "has_penalty", "blacklisted"]
DEFAULT_RULES = {
    "xfj": [
        {"name": "人员密集场所的消防安全重点单位每年至少抽查一次", "category": "消防安全重点单位", "crowded": True,
         "ratio": 1.0, "period": CoveragePeriod.YEAR},
        {"name": "其他消防安全重点单位每年抽查不低于80%", "category": "消防安全重点单位", "crowded": False,
         "ratio": 0.8, "period": CoveragePeriod.YEAR},
        {"name": "一般单位每年抽查不低于20%", "category": "一般单位", "ratio": 0.2, "period": CoveragePeriod.YEAR},
        {"name": "九小场所每年抽查不低于2%", "category": "九小场所", "ratio": 0.02, "period": CoveragePeriod.YEAR},
    ],
    "yjj": [
        {"name": "危险性较大的重点单位每年检查覆盖一次", "flags": ["major_hazard"], "ratio": 1.0,
         "period": CoveragePeriod.YEAR},
        {"name": "投诉举报多、发生事故、受过处罚、严重违法或列入黑名单的单位每半年检查覆盖一次",
         "flags": TROUBLE_FLAGS, "ratio": 1.0, "period": CoveragePeriod.HALF},
    ],
}


class CoverageRule(db.Model):
    """At least `ratio` of the active enterprises matching the rule inspected by the department in each period.

    The population: category ("" = any), crowded place or not (None = either), any of `flags` (none = no
    condition), credit-risk class ("" = any; a class of its own raises its frequency, seed 000/002).
    """

    __tablename__ = "coverage_rule"
    __table_args__ = (sa.CheckConstraint("ratio > 0 AND ratio <= 1", name="ck_coverage_rule_ratio"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(32), default="")
    crowded: Mapped[bool | None]
    flags: Mapped[list] = mapped_column(sa.JSON, default=list)
    risk_class: Mapped[str] = mapped_column(sa.String(1), default="")
    ratio: Mapped[float] = mapped_column(default=1.0)
    period: Mapped[CoveragePeriod] = mapped_column(db_enum(CoveragePeriod, "ck_coverage_rule_period"),
                                                   default=CoveragePeriod.YEAR)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    department: Mapped[Department] = relationship(lazy="joined")

    def supervised_industries(self) -> list[str] | None:
        """The industries the department's active items reach — its own directory within the county's shared one
        (seed 003: "名录库中…的单位"); None when they reach every industry or it has no items yet. Read once per
        rule object (a request's or a command's)."""
        if "_industries" not in self.__dict__:
            from ..items.services import industries_reached

            self.__dict__["_industries"] = industries_reached(self.department_id) or None
        return self.__dict__["_industries"]

    def population_clause(self):
        """SQL condition: the active enterprises this rule covers (`matches` is the same test on a row of the
        department's industries: every query that groups or lists rows selects them with this clause)."""
        return sa.and_(Subject.status == SubjectStatus.ACTIVE, self.attributes_clause())

    @staticmethod
    def populations_clause(rules, extras=None):
        """SQL condition: the active enterprises any of `rules` covers (and, with `extras`, for which the condition
        beside that rule holds). The status test is written once, outside the OR, so SQLite reads the enterprises
        once rather than once per rule."""
        extras = extras or [sa.true()] * len(rules)
        return sa.and_(Subject.status == SubjectStatus.ACTIVE,
                       sa.or_(*(sa.and_(rule.attributes_clause(), extra) for rule, extra in zip(rules, extras))))

    def attributes_clause(self):
        """SQL condition on the enterprise's attributes alone (its status aside), within the department's industries."""
        conditions = [sa.true()]
        industries = self.supervised_industries()
        if industries is not None:
            conditions.append(Subject.industry.in_(industries))
        if self.category:
            conditions.append(Subject.category == self.category)
        if self.crowded is not None:
            conditions.append(Subject.crowded.is_(True) if self.crowded else Subject.crowded.is_(False))
        if self.flags:
            conditions.append(sa.or_(*(getattr(Subject, flag).is_(True) for flag in self.flags)))
        if self.risk_class:
            conditions.append(Subject.risk_class == self.risk_class)
        return sa.and_(*conditions)

    def matches(self, row) -> bool:
        """The population clause on one row of enterprise attributes (a grouped count's key, a listed subject)."""
        return ((not self.category or row.category == self.category)
                and (self.crowded is None or bool(row.crowded) == self.crowded)
                and (not self.flags or any(getattr(row, flag) for flag in self.flags))
                and (not self.risk_class or row.risk_class == self.risk_class))

    def required(self, population: int) -> int:
        """How many must be inspected: the share rounded up (a 2 % duty on 120 units is 3, not 2.4)."""
        return math.ceil(round(self.ratio * population, 9))

    @property
    def every_one(self) -> bool:
        return self.ratio >= 1.0

    @property
    def population_label(self) -> str:
        parts = [self.category or "全部类别"]
        if self.crowded is not None:
            parts.append("人员密集场所" if self.crowded else "非人员密集场所")
        if self.flags:
            parts.append("或".join(HISTORY_FLAGS.get(f, f) for f in self.flags))
        if self.risk_class:
            parts.append(RISK_LABELS.get(self.risk_class, self.risk_class))
        industries = self.supervised_industries()
        if industries is not None:
            parts.append(f"行业：{'、'.join(industries)}")
        return "，".join(parts)

    @property
    def duty_label(self) -> str:
        share = "全部覆盖" if self.every_one else f"不低于{self.ratio * 100:g}%"
        return f"{self.period.label}{share}"
