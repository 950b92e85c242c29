"""The database's health as the app sees it, and the outage that is logged once rather than on every request.

An unreachable database (PostgreSQL restarting, the network down, the SQLite file gone) raises
OperationalError or InterfaceError wherever a request first touches it, often in loading the signed-in user.
Such a request gets a 503 page that needs no database; the first one in an outage logs it, the first new
connection afterwards logs the recovery.
"""
from __future__ import annotations

import threading
import time
from functools import lru_cache

import sqlalchemy as sa
from flask import Flask, current_app

from solver.common import one_line

from ..extensions import MIGRATIONS, db

UNREACHABLE_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError)


class Outage:
    """This process's view of one database outage: from the first refused request to the next connection."""

    def __init__(self, app: Flask):
        self.app = app
        self.since: float | None = None
        self._lock = threading.Lock()

    def begin(self, error: BaseException) -> None:
        with self._lock:
            if self.since is not None:
                return
            self.since = time.monotonic()
        self.app.logger.error("数据库无法连接，请求答 503 直到恢复（本次中断只记这一次）：%s", one_line(str(error), 300))

    def end(self) -> None:
        if self.since is None:  # the usual case, checked without the lock: a connection in normal service
            return
        with self._lock:
            if self.since is None:
                return
            lasted, self.since = time.monotonic() - self.since, None
        self.app.logger.warning("数据库已恢复连接（中断约 %d 秒）", lasted)


def outage() -> Outage:
    return current_app.extensions["database_outage"]


def register(app: Flask) -> None:
    """Track outages: any new database connection ends one (pool pre-ping reconnects after a restart)."""
    watch = Outage(app)
    app.extensions["database_outage"] = watch
    with app.app_context():
        sa.event.listen(db.engine, "connect", lambda _connection, _record: watch.end())


def database_reachable() -> bool:
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError:
        return False
    return True


def is_unreachable(error: BaseException) -> bool:
    """Whether a database error means the database cannot be reached, rather than a failed statement."""
    if not isinstance(error, UNREACHABLE_ERRORS):
        return False
    if outage().since is not None:
        return True  # still down: no new probe per request (a working connection would have ended the outage)
    return not database_reachable()


@lru_cache(maxsize=4)
def _migration_heads(directory: str) -> frozenset[str]:
    from alembic.script import ScriptDirectory  # Alembic (≈ 0.1 s) only when the health check first runs

    return frozenset(ScriptDirectory(directory).get_heads())


def check() -> tuple[bool, dict[str, str]]:
    """What /healthz answers: (healthy, {what: state}) for the app, the database and the migrations."""
    from alembic.runtime.migration import MigrationContext

    expected = _migration_heads(MIGRATIONS)
    report = {"app": "ok", "database": "ok", "migrations": "unknown", "expected": ",".join(sorted(expected))}
    try:
        with db.engine.connect() as connection:
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except sa.exc.DBAPIError as error:
        outage().begin(error)
        report["database"] = "unreachable"
        return False, report
    report["revision"] = ",".join(sorted(current))
    report["migrations"] = "current" if current == expected else ("none" if not current else "outdated")
    return current == expected, report
