"""Log-in throttling per user name and source address: a growing wait, never a lock a stranger can hold."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..timeutil import now
from .models import LoginThrottle

FREE_ATTEMPTS = 5  # failures before any wait
FIRST_WAIT_SECONDS = 15  # after the fifth failure; doubled after each further one
LONGEST_WAIT_SECONDS = 15 * 60
CLAIM_TRIES = 8
TABLE = LoginThrottle.__table__
EPOCH = datetime(2000, 1, 1)
UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass(frozen=True)
class Claim:
    allowed: bool
    wait_until: datetime | None = None


def wait_after(failures: int) -> timedelta:
    """How long the next attempt waits once `failures` attempts have been counted."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    return timedelta(seconds=min(FIRST_WAIT_SECONDS * 2 ** (failures - FREE_ATTEMPTS), LONGEST_WAIT_SECONDS))


def _key(username: str, address: str) -> dict:
    return {"username": username[:64], "address": (address or "unknown")[:64]}


def claim(username: str, address: str) -> Claim:
    """Count one attempt before the password is checked, atomically (compare-and-set on the count).

    Counting first means parallel guesses cannot all slip in before any of them is counted: only attempts
    that win a claim reach the password check. A success forgets the count (`forget`).
    """
    key = _key(username, address)
    where = sa.and_(TABLE.c.username == key["username"], TABLE.c.address == key["address"])
    wait_until = None
    for _ in range(CLAIM_TRIES):
        row = db.session.execute(sa.select(TABLE.c.failures, TABLE.c.next_at).where(where)).first()
        if row is None:  # the first attempt of this name from this address, or the office lifted its limit
            _ensure_row(key, where)
            continue
        moment = now()
        if row.next_at > moment:
            db.session.rollback()
            return Claim(False, row.next_at)
        counted = row.failures + 1
        wait_until = moment + wait_after(counted)
        done = db.session.execute(
            TABLE.update().where(where, TABLE.c.failures == row.failures)
            .values(failures=counted, next_at=wait_until, last_at=moment))
        db.session.commit()
        if done.rowcount == 1:
            return Claim(True)
    return Claim(False, wait_until)


def _ensure_row(key: dict, where) -> None:
    """The name and address's row with nothing counted yet; two first attempts at once make one row."""
    connection = db.session.connection()
    insert = UPSERTS.get(connection.dialect.name)
    values = {**key, "failures": 0, "next_at": EPOCH, "last_at": EPOCH}
    if insert is not None:
        connection.execute(insert(TABLE).values(**values).on_conflict_do_nothing())
    elif connection.execute(sa.select(TABLE.c.failures).where(where)).first() is None:
        connection.execute(TABLE.insert().values(**values))
    db.session.commit()


def forget(username: str, address: str) -> None:
    key = _key(username, address)
    db.session.execute(TABLE.delete().where(TABLE.c.username == key["username"], TABLE.c.address == key["address"]))


def lift(username: str) -> int:
    """The office's unlock: forget every counted failure of this name, from every address."""
    return db.session.execute(TABLE.delete().where(TABLE.c.username == username[:64])).rowcount


def limited_names(names: list[str]) -> set[str]:
    """Which of these user names are waiting out a throttle right now (from some address)."""
    if not names:
        return set()
    return set(db.session.scalars(
        sa.select(TABLE.c.username).where(TABLE.c.username.in_(names), TABLE.c.next_at > now()).distinct()))
