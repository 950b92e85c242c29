"""The audit log table and its one-row head, which serialises appends and remembers where the chain ends."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class AuditEntry(db.Model):
    """One change of state. Written only by coordinator.audit.services through Core inserts, never updated."""

    __tablename__ = "audit_entry"
    # The sequence number is the key: assigned under the head's lock, so a gap means a deleted entry.
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(index=True)
    # No foreign key: the log must outlive, and never block, any change to the accounts it names.
    user_id: Mapped[int | None]
    user_name: Mapped[str] = mapped_column(sa.String(64), index=True)
    action: Mapped[str] = mapped_column(sa.String(16))  # insert / update / delete / import / draw
    entity: Mapped[str] = mapped_column(sa.String(64))  # table name, or "import"
    entity_id: Mapped[str | None] = mapped_column(sa.String(64))
    # Canonical JSON {"before": …, "after": …}, kept as text so the hash covers exactly what is stored.
    changes: Mapped[str] = mapped_column(sa.Text)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (sa.Index("ix_audit_entry_entity", "entity", "entity_id"),)


class AuditHead(db.Model):
    """The chain's end: locked (SELECT … FOR UPDATE) by every append, so two transactions never fork the chain."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(sa.String(64))


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(mapper, connection, target):
    raise RuntimeError("审计日志只能追加，不能修改或删除")
