"""What the exchanges keep: each source's renewals, rating and registration histories, certificates, exports, API clients."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..campaigns.models import CampaignSubject
from ..directories.models import Inspector, Subject
from ..extensions import db
from ..timeutil import now

# The sources whose freshness the office watches, with the Chinese name it knows them by.
SOURCES = {
    "directory": "检查对象名录库",
    "risk": "信用风险分类",
    "registration": "登记状态",
    "personnel": "执法人员（司法局执法证）",
}


class SourceRefresh(db.Model):
    """One applied import of a source: when, who, from which file, how many rows it changed."""

    __tablename__ = "source_refresh"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(16), index=True)
    at: Mapped[datetime] = mapped_column(default=now)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    user_name: Mapped[str] = mapped_column(sa.String(64))
    filename: Mapped[str] = mapped_column(sa.String(200), default="")
    total: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)
    refused: Mapped[int] = mapped_column(default=0)


class RiskRating(db.Model):
    """A credit-risk class the market regulator gave an enterprise (信用风险分类), kept as history."""

    __tablename__ = "risk_rating"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subject.id"), index=True)
    old_class: Mapped[str] = mapped_column(sa.String(1), default="")
    new_class: Mapped[str] = mapped_column(sa.String(1))
    rated_on: Mapped[date]
    source: Mapped[str] = mapped_column(sa.String(100))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)

    subject: Mapped[Subject] = relationship(backref=sa.orm.backref("risk_ratings", order_by="RiskRating.id.desc()"))


class RegistrationChange(db.Model):
    """A change the registration system reported (注销, 吊销, 迁出, 停业, 恢复营业, 名称变更, 住所变更) as applied."""

    __tablename__ = "registration_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subject.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    old_value: Mapped[str] = mapped_column(sa.String(300), default="")
    new_value: Mapped[str] = mapped_column(sa.String(300), default="")
    changed_on: Mapped[date]
    source: Mapped[str] = mapped_column(sa.String(100), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)

    subject: Mapped[Subject] = relationship(
        backref=sa.orm.backref("registration_changes", order_by="RegistrationChange.id.desc()"))


class ReplacementFlag(db.Model):
    """A drawn enterprise of an open campaign whose registration status changed: the office replaces it."""

    __tablename__ = "replacement_flag"
    __table_args__ = (sa.UniqueConstraint("campaign_subject_id", "change_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_subject_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_subject.id"), index=True)
    change_id: Mapped[int] = mapped_column(sa.ForeignKey("registration_change.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)

    campaign_subject: Mapped[CampaignSubject] = relationship()
    change: Mapped[RegistrationChange] = relationship()


class MissingSubject(db.Model):
    """A credit code an outside list names that our directory lacks: the office adds or checks it."""

    __tablename__ = "missing_subject"
    __table_args__ = (sa.UniqueConstraint("source", "credit_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(16))
    credit_code: Mapped[str] = mapped_column(sa.String(18), index=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    first_seen: Mapped[datetime] = mapped_column(default=now)
    last_seen: Mapped[datetime] = mapped_column(default=now)


class InspectorCertificate(db.Model):
    """The enforcement certificate (执法证) of an inspector as the justice bureau's database gives it."""

    __tablename__ = "inspector_certificate"
    id: Mapped[int] = mapped_column(primary_key=True)
    inspector_id: Mapped[int] = mapped_column(sa.ForeignKey("inspector.id"), unique=True)
    cert_type: Mapped[str] = mapped_column(sa.String(32), default="")
    valid_from: Mapped[date | None]
    valid_until: Mapped[date]
    area: Mapped[str] = mapped_column(sa.String(100), default="")  # 执法区域
    category: Mapped[str] = mapped_column(sa.String(100), default="")  # 执法类别
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    inspector: Mapped[Inspector] = relationship(backref=sa.orm.backref("certificate", uselist=False))


class PublicityExport(db.Model):
    """One export of results for the credit publicity system: what, when, who, how many rows, how many new."""

    __tablename__ = "publicity_export"
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(32), index=True)  # "year:2024" or "campaign:7"
    label: Mapped[str] = mapped_column(sa.String(200))
    file_format: Mapped[str] = mapped_column(sa.String(8))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    user_name: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=now)
    rows: Mapped[int] = mapped_column(default=0)
    new_rows: Mapped[int] = mapped_column(default=0)
    new_only: Mapped[bool] = mapped_column(default=False)


class PublicityExportRow(db.Model):
    """A department result an export carried, with the hash of its row: a changed row counts as new again."""

    __tablename__ = "publicity_export_row"
    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_export.id"), index=True)
    department_result_id: Mapped[int] = mapped_column(sa.ForeignKey("department_result.id"))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))


class ApiClient(db.Model):
    """Another government system allowed to read the API; only the token's SHA-256 is kept."""

    __tablename__ = "api_client"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    token_hint: Mapped[str] = mapped_column(sa.String(8))  # the first characters, to tell tokens apart
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)
    revoked_at: Mapped[datetime | None]  # each use is in the audit log, not here

    created_by: Mapped[User | None] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None
