"""Inspection item lists (随机抽查事项清单), one per department, with every earlier version kept."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Department, User
from ..extensions import db
from ..textutil import split_list
from ..timeutil import now

# attribute → Chinese label, in the order of the published list (seed 000 / 003 / 004)
ITEM_FIELDS = {
    "code": "事项编号",
    "name": "抽查事项",
    "category": "事项类别",
    "basis": "抽查依据",
    "body": "检查主体",
    "target": "检查对象",
    "industries": "适用行业",
    "content": "检查内容",
    "method": "检查方式",
    "ratio": "抽查比例/频次",
    "materials": "需企业提供的材料",
    "note": "备注",
}


class Item(db.Model):
    __tablename__ = "item"
    __table_args__ = (sa.UniqueConstraint("department_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(64), default="")
    basis: Mapped[str] = mapped_column(sa.Text, default="")
    body: Mapped[str] = mapped_column(sa.String(200), default="")
    target: Mapped[str] = mapped_column(sa.String(300), default="")
    # Which industries the item reaches ("全部" = every enterprise): decides who visits whom jointly.
    industries: Mapped[str] = mapped_column(sa.String(300), default="全部")
    content: Mapped[str] = mapped_column(sa.Text, default="")
    method: Mapped[str] = mapped_column(sa.String(200), default="")
    ratio: Mapped[str] = mapped_column(sa.String(100), default="")
    materials: Mapped[str] = mapped_column(sa.Text, default="")
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=now)

    department: Mapped[Department] = relationship()
    versions: Mapped[list[ItemVersion]] = relationship(
        back_populates="item", order_by="(ItemVersion.version.desc(), ItemVersion.id.desc())", cascade="all, delete-orphan"
    )

    def snapshot(self) -> dict:
        return {field: getattr(self, field) for field in ITEM_FIELDS}

    @property
    def industry_list(self) -> list[str]:
        return split_list(self.industries)

    @property
    def material_list(self) -> list[str]:
        return split_list(self.materials)


class ItemVersion(db.Model):
    """An earlier wording of an item, kept when the item is adjusted (动态调整)."""

    __tablename__ = "item_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id"), index=True)
    version: Mapped[int]
    data: Mapped[dict] = mapped_column(sa.JSON)
    replaced_at: Mapped[datetime] = mapped_column(default=now)
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    item: Mapped[Item] = relationship(back_populates="versions")
    replaced_by: Mapped[User | None] = relationship()

