"""audit chain keyed with the secret kept outside the database

Revision ID: b7d4e2f19a30
Revises: b9e8115c0b35
Create Date: 2026-11-29 20:20:00

The chain's hashes become HMAC-SHA256 under the audit key (AUDIT_KEY, or instance/audit_key). An existing
chain is first checked with its plain SHA-256 hashes: a broken one stops the upgrade, so that nobody's
tampering gets sealed under the key. Then every hash is recomputed, entry by entry, and the head moved.
No table changes.
"""
import sqlalchemy as sa
from alembic import op
from flask import current_app

from solver import sha256_hex

# revision identifiers, used by Alembic.
revision = 'b7d4e2f19a30'
down_revision = 'b9e8115c0b35'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
BATCH = 2000
ENTRY = sa.table("audit_entry", sa.column("seq"), sa.column("at", sa.DateTime), sa.column("user_id"), sa.column("user_name"),
                 sa.column("action"), sa.column("entity"), sa.column("entity_id"), sa.column("changes"),
                 sa.column("prev_hash"), sa.column("hash"))
HEAD = sa.table("audit_head", sa.column("id"), sa.column("seq"), sa.column("hash"))


def _rehash(old_hash, new_hash) -> None:
    from coordinator.audit.services import entry_text

    connection = op.get_bind()
    old_prev = new_prev = GENESIS
    updates = []
    expected = 1
    for row in connection.execute(sa.select(ENTRY).order_by(ENTRY.c.seq)).all():
        fields = (row.user_id, row.user_name, row.action, row.entity, row.entity_id, row.changes)
        if row.seq != expected or row.prev_hash != old_prev \
                or old_hash(entry_text(row.seq, row.at, *fields, row.prev_hash)) != row.hash:
            raise RuntimeError(f"审计日志第{expected}条已损坏，升级已停止：请先用旧版本运行 audit-verify 核查")
        new = new_hash(entry_text(row.seq, row.at, *fields, new_prev))
        updates.append({"s": row.seq, "p": new_prev, "h": new})
        old_prev, new_prev, expected = row.hash, new, expected + 1
    update = ENTRY.update().where(ENTRY.c.seq == sa.bindparam("s")).values(
        prev_hash=sa.bindparam("p"), hash=sa.bindparam("h"))
    for start in range(0, len(updates), BATCH):
        connection.execute(update, updates[start:start + BATCH])
    if updates:
        connection.execute(HEAD.update().values(seq=expected - 1, hash=new_prev))


def upgrade():
    from coordinator.audit.seal import keyed_hash

    key = current_app.config["AUDIT_KEY"]
    _rehash(sha256_hex, lambda text: keyed_hash(text, key))


def downgrade():
    from coordinator.audit.seal import keyed_hash

    key = current_app.config["AUDIT_KEY"]
    _rehash(lambda text: keyed_hash(text, key), sha256_hex)
