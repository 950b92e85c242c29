"""The audit trail: ORM changes captured by session events, hand-made entries, the hash chain and its check."""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import click
import sqlalchemy as sa
from flask import has_request_context
from flask_login import current_user
from sqlalchemy import event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NO_VALUE

from solver import canonical_json, sha256_hex

from ..extensions import db
from ..timeutil import now
from . import seal
from .models import AuditEntry, AuditHead

GENESIS = "0" * 64  # prev_hash of the first entry
HEAD_ID = 1
# Longer text is logged by length and SHA-256: a draw's locked input runs to megabytes and has its own hash.
LONG_TEXT = 2000
HIDDEN = {"password_hash", "session_token"}  # the office reads the log: secrets show only that they changed
HIDDEN_MARK = "（已隐藏）"
NOT_AUDITED = {AuditEntry.__tablename__, AuditHead.__tablename__}
PENDING = "audit_pending"  # session.info: entries collected during a flush, written in after_flush
WRITTEN = "audit_written"  # session.info: the chain's end as this transaction left it, for the checkpoint
FETCHED = "audit_fetched"  # session.info: stored values of rows whose old values the session no longer knew

ENTRY = AuditEntry.__table__
HEAD = AuditHead.__table__
UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}  # INSERT … ON CONFLICT DO NOTHING


# ---- values and hashes ---------------------------------------------------------------------------


def plain(value):
    """A JSON-safe copy of a stored value (dates as ISO text, long text and bytes by length and hash)."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, str):
        return value if len(value) <= LONG_TEXT else {"length": len(value), "sha256": sha256_hex(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        return {"length": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=canonical_json)
    return str(value)


def entry_hash(seq: int, at: datetime, user_id: int | None, user_name: str, action: str, entity: str,
               entity_id: str | None, changes: str, prev_hash: str, *, key: str | None = None) -> str:
    """HMAC-SHA256, under the audit key, of the entry's canonical JSON; `changes` is the stored text, read back.

    Keyed, so that nobody without the key (kept outside the database) can give a rewritten entry a valid hash.
    """
    return seal.keyed_hash(entry_text(seq, at, user_id, user_name, action, entity, entity_id, changes, prev_hash), key)


def entry_text(seq: int, at: datetime, user_id: int | None, user_name: str, action: str, entity: str,
               entity_id: str | None, changes: str, prev_hash: str) -> str:
    """The canonical JSON an entry's hash is taken of: `changes`, canonical JSON already, is spliced in as stored
    (its key sorts between "at" and "entity"), so an import's 100,000 entries are not parsed back one by one."""
    head = canonical_json({"action": action, "at": at.isoformat(sep=" ")})
    tail = canonical_json({"entity": entity, "entity_id": entity_id, "prev_hash": prev_hash, "seq": seq,
                           "user": user_name, "user_id": user_id})
    return f'{head[:-1]},"changes":{changes},{tail[1:]}'


# ---- appending -----------------------------------------------------------------------------------


def _who(user=None) -> tuple[int | None, str]:
    if user is not None:
        return user.id, user.display_name
    if has_request_context():
        if current_user.is_authenticated:
            return current_user.id, current_user.display_name
        return None, "未登录用户"
    if click.get_current_context(silent=True) is not None:
        return None, "命令行"
    return None, "系统"


def _locked_head(connection) -> tuple[int, str]:
    """The chain's end, locked until this transaction ends."""
    if connection.dialect.name == "sqlite":
        # SQLite ignores FOR UPDATE and reads outside any write lock: a write first takes the database's one
        # write lock, so no other transaction can append between this read and our own append.
        connection.execute(HEAD.update().where(HEAD.c.id == HEAD_ID).values(seq=HEAD.c.seq))
    select = sa.select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == HEAD_ID).with_for_update()
    head = connection.execute(select).first()
    if head is None:
        # The very first append; two at once must not both fail, so the loser's insert does nothing.
        values = {"id": HEAD_ID, "seq": 0, "hash": GENESIS}
        insert = UPSERTS.get(connection.dialect.name)
        if insert is not None:
            connection.execute(insert(HEAD).values(**values).on_conflict_do_nothing())
        else:
            connection.execute(HEAD.insert().values(**values))
        head = connection.execute(select).one()
    return head.seq, head.hash


APPEND_BATCH = 5000  # entries inserted per statement: an import's 100,000 are never all in memory as rows


def _append(session, entries: list[tuple], user=None) -> None:
    """Write (action, entity, entity_id, before, after) entries at the end of the chain, in order."""
    connection = session.connection()
    user_id, user_name = _who(user)
    user_name = user_name[:64]
    at = now()
    seq, prev = _locked_head(connection)
    first = None
    for start in range(0, len(entries), APPEND_BATCH):
        rows = []
        for action, entity, entity_id, before, after in entries[start:start + APPEND_BATCH]:
            seq += 1
            changes = canonical_json({"before": before, "after": after})
            digest = entry_hash(seq, at, user_id, user_name, action, entity, entity_id, changes, prev)
            rows.append({"seq": seq, "at": at, "user_id": user_id, "user_name": user_name, "action": action,
                         "entity": entity, "entity_id": entity_id, "changes": changes, "prev_hash": prev,
                         "hash": digest})
            first = digest if seq == 1 else first
            prev = digest
        connection.execute(ENTRY.insert(), rows)
    connection.execute(HEAD.update().where(HEAD.c.id == HEAD_ID).values(seq=seq, hash=prev))
    written = session.info.get(WRITTEN)
    session.info[WRITTEN] = (seq, prev, at.isoformat(sep=" "), first or (written[3] if written else None))


def log(action: str, entity: str, entity_id, before: dict | None = None, after: dict | None = None, *,
        user=None) -> None:
    """Append one entry by hand, for a change made by a Core statement the ORM events do not see.

    Runs in the caller's transaction: the entry is kept only if the change is committed.
    """
    db.session.flush()  # entries for the ORM changes made so far come first, in the order things happened
    entity_id = None if entity_id is None else str(entity_id)[:64]
    _append(db.session, [(action, entity, entity_id, plain(before), plain(after))], user)


def log_many(entries: list[tuple], *, user=None) -> None:
    """Append (action, entity, entity_id, before, after) entries by hand, in order, in the caller's transaction."""
    if not entries:
        return
    db.session.flush()
    _append(db.session, [
        (action, entity, None if entity_id is None else str(entity_id)[:64], plain(before), plain(after))
        for action, entity, entity_id, before, after in entries], user)


def log_event(action: str, entity: str, entity_id=None, details: dict | None = None) -> None:
    """Log something that changes no row (a download, a refused request) in a commit of its own.

    Whatever the request left unsaved is dropped first: a refused or read-only request has nothing to keep.
    """
    db.session.rollback()
    log(action, entity, entity_id, None, details)
    db.session.commit()


def log_import(report) -> None:
    """One summary entry for an Excel import: its rows go in by Core executemany, one by one would be too slow."""
    log("import", "import", None, None, {
        "rows": report.label, "file": report.filename, "total": report.total, "created": report.created,
        "updated": report.updated, "unchanged": report.unchanged, "refused": len(report.refused)})


# ---- capture by session events -------------------------------------------------------------------


def _audited(mapper) -> bool:
    return mapper.local_table.name not in NOT_AUDITED


def _identity(mapper, state) -> str:
    values = state.key[1] if state.key else [
        state.dict.get(mapper.get_property_by_column(column).key) for column in mapper.primary_key]
    return ",".join(str(v) for v in values)[:64]


def _old_value(state, key: str, fetched: dict):
    """What the database held before this flush: the original the session remembers, else the row as read."""
    original = state.committed_state.get(key, NO_VALUE)
    if original is not NO_VALUE:
        return original
    if key in fetched:
        return fetched[key]
    return state.dict.get(key)


def _pending(state) -> list:
    return state.session.info.setdefault(PENDING, [])


@event.listens_for(Session, "before_flush")
def _fetch_forgotten(session, flush_context, instances):
    """Read the stored row of changed or deleted objects whose old values the session does not hold.

    Setting an attribute of an expired object (after a commit) does not load what it replaces, and a
    deleted object may have been expired: without this their "before" would be missing.
    """
    session.info.pop(PENDING, None)
    fetched = session.info[FETCHED] = {}
    deleted = set(session.deleted)
    for obj in [*session.dirty, *deleted]:
        state = inspect(obj)
        if not state.persistent or not _audited(state.mapper):
            continue
        # An update logs its changed columns only; a deletion logs the whole row.
        unknown = [a for a in state.mapper.column_attrs
                   if state.committed_state.get(a.key, None) is NO_VALUE
                   or (obj in deleted and a.key not in state.dict and a.key not in state.committed_state)]
        if not unknown:
            continue
        table = state.mapper.local_table
        where = [column == value for column, value in zip(state.mapper.primary_key, state.key[1])]
        row = session.connection().execute(
            sa.select(*(a.columns[0] for a in unknown)).select_from(table).where(*where)).first()
        if row is not None:
            fetched[state] = {a.key: value for a, value in zip(unknown, row)}


@event.listens_for(db.Model, "after_insert", propagate=True)
def _inserted(mapper, connection, target):
    if not _audited(mapper):
        return
    state = inspect(target)
    after = {a.key: plain(state.dict[a.key]) for a in mapper.column_attrs if a.key in state.dict}
    _pending(state).append(("insert", mapper.local_table.name, _identity(mapper, state), None, _hide(after)))


@event.listens_for(db.Model, "after_update", propagate=True)
def _updated(mapper, connection, target):
    if not _audited(mapper):
        return
    state = inspect(target)
    fetched = state.session.info.get(FETCHED, {}).get(state, {})
    before, after = {}, {}
    for attr in mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else _old_value(state, attr.key, fetched)
        new = history.added[0] if history.added else None
        if plain(old) != plain(new):
            before[attr.key], after[attr.key] = plain(old), plain(new)
    if after:
        _pending(state).append(("update", mapper.local_table.name, _identity(mapper, state), _hide(before),
                                _hide(after)))


@event.listens_for(db.Model, "after_delete", propagate=True)
def _deleted(mapper, connection, target):
    if not _audited(mapper):
        return
    state = inspect(target)
    fetched = state.session.info.get(FETCHED, {}).get(state, {})
    before = {a.key: plain(_old_value(state, a.key, fetched)) for a in mapper.column_attrs}
    _pending(state).append(("delete", mapper.local_table.name, _identity(mapper, state), _hide(before), None))


def _hide(values: dict) -> dict:
    return {k: (HIDDEN_MARK if k in HIDDEN and v is not None else v) for k, v in values.items()}


@event.listens_for(Session, "after_flush")
def _write_pending(session, flush_context):
    session.info.pop(FETCHED, None)
    pending = session.info.pop(PENDING, None)
    if pending:
        _append(session, pending)


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session, previous_transaction):
    session.info.pop(PENDING, None)
    session.info.pop(FETCHED, None)
    if not previous_transaction.nested:  # a savepoint rolled back leaves the outer transaction's entries
        session.info.pop(WRITTEN, None)


@event.listens_for(Session, "after_commit")
def _move_checkpoint(session):
    """Once entries are committed, the checkpoint outside the database moves to the chain's new end."""
    written = session.info.pop(WRITTEN, None)
    if written is not None:
        seq, digest, at, first = written
        seal.advance(seq, digest, at, first, _first_hash)


def _first_hash() -> str | None:
    with db.engine.connect() as connection:  # after a commit the session itself may not run statements
        return connection.execute(sa.select(ENTRY.c.hash).where(ENTRY.c.seq == 1)).scalar()


# ---- verification --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    seq: int
    message: str


@dataclass(frozen=True)
class Verdict:
    count: int
    broken: Broken | None = None


def verify(batch: int = 2000, expected: tuple[tuple[int, str], ...] = ()) -> Verdict:
    """Walk the chain in sequence order, recomputing every keyed hash; then hold its end against the head row,
    the checkpoint file outside the database, and any (number, hash) pairs printed earlier (daily digests).
    The first broken entry, if any."""
    checkpoint = seal.read_checkpoint()
    wanted = {1, *(seq for seq, _ in expected)}
    if checkpoint and "seq" in checkpoint:
        wanted.add(checkpoint["seq"])
    seen: dict[int, str] = {}
    rows = db.session.execute(sa.select(ENTRY).order_by(ENTRY.c.seq).execution_options(yield_per=batch))
    try:
        verdict, prev = _walk(rows, wanted, seen)
    finally:
        rows.close()  # a server-side cursor on PostgreSQL: closed even when the walk stops at a broken entry
    if verdict.broken is None:
        verdict = _check_head(verdict.count, prev)
    if verdict.broken is None:
        verdict = _check_checkpoint(verdict.count, checkpoint, seen)
    for seq, digest in expected if verdict.broken is None else ():
        if seq > verdict.count:
            return Verdict(verdict.count, Broken(seq, f"第{seq}条审计记录缺失（摘要中记有该条，末尾被删除）"))
        if seen.get(seq) != digest.lower():
            return Verdict(verdict.count, Broken(seq, f"第{seq}条审计记录的哈希值与摘要不符（记录被改写）"))
    return verdict


def _walk(rows, wanted: set[int], seen: dict[int, str]) -> tuple[Verdict, str]:
    expected, prev = 1, GENESIS
    for row in rows:
        if row.seq != expected:
            return Verdict(expected - 1, Broken(expected, f"第{expected}条审计记录缺失（已被删除）")), prev
        if entry_hash(row.seq, row.at, row.user_id, row.user_name, row.action, row.entity, row.entity_id,
                      row.changes, row.prev_hash) != row.hash:
            return Verdict(expected - 1, Broken(row.seq, f"第{row.seq}条审计记录的内容与其哈希值不符"
                                                         f"（记录被改动，或以不知密钥的方式重算了哈希）")), prev
        if row.prev_hash != prev:
            # This entry is intact, so the one before was rewritten and given a fresh hash.
            return Verdict(expected - 1, Broken(row.seq - 1, f"第{row.seq - 1}条审计记录被改写"
                                                         f"（与第{row.seq}条保存的前一哈希不符，链接断开）")), prev
        if row.seq in wanted:
            seen[row.seq] = row.hash
        prev = row.hash
        expected += 1
    return Verdict(expected - 1), prev


def _check_head(count: int, prev: str) -> Verdict:
    head = db.session.execute(sa.select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == HEAD_ID)).first()
    if head is None:
        if count:
            return Verdict(count, Broken(count, "审计链头记录缺失"))
    elif head.seq > count:
        last = f"～{head.seq}" if head.seq > count + 1 else ""
        return Verdict(count, Broken(count + 1, f"第{count + 1}{last}条审计记录缺失（末尾被删除）"))
    elif (head.seq, head.hash) != (count, prev):
        return Verdict(count, Broken(count, f"第{count}条审计记录与审计链头不符（记录或链头被改动）"))
    return Verdict(count)


def _check_checkpoint(count: int, checkpoint: dict | None, seen: dict[int, str]) -> Verdict:
    """The chain against the checkpoint file, which someone with only the database cannot move back."""
    where = seal.checkpoint_path()
    if checkpoint is None:
        if count:
            return Verdict(count, Broken(count, f"找不到审计检查点文件（{where}），无法确认末尾记录未被删除"))
        return Verdict(count)
    if checkpoint.get("unreadable"):
        return Verdict(count, Broken(count, f"审计检查点文件（{where}）无法读取"))
    seq = checkpoint["seq"]
    if count and seen.get(1) != checkpoint.get("chain"):
        return Verdict(count, Broken(1, "审计日志与检查点文件不属于同一条链（审计日志被整体替换，或数据库被重建；"
                                        f"确为新建数据库时请删除 {where}）"))
    if seq > count:
        last = f"～{seq}" if seq > count + 1 else ""
        return Verdict(count, Broken(count + 1, f"第{count + 1}{last}条审计记录缺失（检查点记录的链尾为第{seq}条，"
                                                f"末尾被删除）"))
    if seen.get(seq) != checkpoint["hash"]:
        return Verdict(count, Broken(seq, f"第{seq}条审计记录与检查点文件不符（记录被改写）"))
    return Verdict(count)


# ---- the daily digest: the chain's end, printed or published outside the system ----------------------


@dataclass(frozen=True)
class Digest:
    day: date
    count: int  # entries up to the end of the day
    added: int  # entries written during the day
    last_at: datetime | None

    seq: int = 0
    hash: str = GENESIS

    @property
    def grouped_hash(self) -> str:
        """The hash in groups of eight, to be read aloud or typed back."""
        return " ".join(self.hash[i:i + 8] for i in range(0, len(self.hash), 8))

    @property
    def check_argument(self) -> str:
        return f"{self.seq}:{self.hash}"


def digest(day: date) -> Digest:
    """Where the chain ended at the close of `day`: printed and kept (or published), it pins every entry up to
    it, since each entry's keyed hash covers the one before. `audit-verify --digest N:HASH` checks it later."""
    start, end = datetime.combine(day, time.min), datetime.combine(day + timedelta(days=1), time.min)
    last = db.session.execute(sa.select(ENTRY.c.seq, ENTRY.c.hash, ENTRY.c.at).where(ENTRY.c.at < end)
                              .order_by(ENTRY.c.seq.desc()).limit(1)).first()
    added = db.session.scalar(sa.select(sa.func.count()).select_from(ENTRY)
                              .where(ENTRY.c.at >= start, ENTRY.c.at < end)) or 0
    if last is None:
        return Digest(day, 0, added, None)
    return Digest(day, last.seq, added, last.at, last.seq, last.hash)


def digest_lines(entry: Digest, county: str) -> list[str]:
    """The digest as the office prints it: one fact a line, in Chinese."""
    lines = [f"{county}联查通审计日志日摘要（{entry.day.isoformat()}）",
             f"截至当日24时共{entry.count}条审计记录，当日新增{entry.added}条。"]
    if entry.count:
        lines += [f"最后一条：第{entry.seq}条，记录时间 {entry.last_at:%Y-%m-%d %H:%M:%S}。",
                  f"哈希值：{entry.grouped_hash}",
                  f"核对方法：flask --app coordinator audit-verify --digest {entry.check_argument}"]
    return lines


# ---- browsing ------------------------------------------------------------------------------------


@dataclass
class Filters:
    entity: str = ""
    entity_id: str = ""
    user: str = ""
    start: date | None = None
    end: date | None = None
    q: str = ""


def entry_query(filters: Filters):
    """Entries matching the filters, newest first."""
    query = sa.select(AuditEntry).order_by(AuditEntry.seq.desc())
    if filters.entity:
        query = query.where(AuditEntry.entity == filters.entity)
    if filters.entity_id:
        query = query.where(AuditEntry.entity_id == filters.entity_id)
    if filters.user:
        query = query.where(AuditEntry.user_name == filters.user)
    if filters.start:
        query = query.where(AuditEntry.at >= datetime.combine(filters.start, time.min))
    if filters.end:
        query = query.where(AuditEntry.at < datetime.combine(filters.end + timedelta(days=1), time.min))
    if filters.q:
        query = query.where(sa.or_(AuditEntry.changes.contains(filters.q, autoescape=True),
                                   AuditEntry.user_name.contains(filters.q, autoescape=True),
                                   AuditEntry.entity_id == filters.q))
    return query


def filter_options() -> dict[str, list[str]]:
    return {
        "entity": list(db.session.scalars(sa.select(AuditEntry.entity).distinct().order_by(AuditEntry.entity))),
        "user": list(db.session.scalars(sa.select(AuditEntry.user_name).distinct().order_by(AuditEntry.user_name))),
    }


def changed_fields(entry: AuditEntry) -> list[tuple[str, object, object]]:
    """(field, before, after) for each field the entry names, in field order."""
    changes = json.loads(entry.changes)
    before, after = changes.get("before") or {}, changes.get("after") or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [("", before, after)]
    return [(key, before.get(key), after.get(key)) for key in sorted({*before, *after})]
