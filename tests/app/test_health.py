"""A database that goes away and comes back: the Chinese 503 page, one log line per outage, /healthz, recovery.

On PostgreSQL (the second run of `python3 run.py test`) the test server itself is stopped and started again;
on SQLite the database file's folder is moved away with the pool's connections closed, which is what an
unreachable file database looks like to the app.
"""
from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from coordinator import create_app
from coordinator.auth.models import User
from coordinator.extensions import MIGRATIONS, db
from tests.conftest import PASSWORD, empty_database_like, login

UNAVAILABLE = "数据库暂时无法连接，请稍后重试"


def heads(app) -> list[str]:
    return sorted(ScriptDirectory(MIGRATIONS).get_heads())


def stamp(revisions: list[str]) -> None:
    """Record `revisions` as the database's migration state, as `flask db stamp` would."""
    with db.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        connection.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        for revision in revisions:
            connection.execute(sa.text("INSERT INTO alembic_version VALUES (:r)"), {"r": revision})


@pytest.fixture
def unstamped(ctx):
    yield
    with db.engine.begin() as connection:  # the session's database is built by create_all, never stamped
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


def test_healthz_says_whether_the_migrations_are_current(app, client, unstamped):
    response = client.get("/healthz")  # tables made by create_all: no migration recorded
    assert response.status_code == 503
    assert response.json["database"] == "ok" and response.json["migrations"] == "none"
    stamp(heads(app))
    response = client.get("/healthz")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.json == {"app": "ok", "database": "ok", "migrations": "current",
                             "expected": ",".join(heads(app)), "revision": ",".join(heads(app))}
    stamp(["0000_older"])
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["migrations"] == "outdated"


# ---- the outage --------------------------------------------------------------------------------------


class SqliteOutage:
    """The database file's folder moved away and the pool emptied: every new connection fails to open it."""

    def __init__(self, tmp_path: Path):
        self.folder = tmp_path / "db"
        self.folder.mkdir()
        self.url = f"sqlite:///{self.folder / 'outage.db'}"

    def stop(self, app) -> None:
        with app.app_context():
            db.engine.dispose()
        self.folder.rename(self.folder.with_name("db-away"))

    def start(self) -> None:
        self.folder.with_name("db-away").rename(self.folder)


class PostgresOutage:
    """The test PostgreSQL server stopped (fast: connections cut, as in a restart) and started again."""

    def __init__(self, app, tmp_path: Path):
        self.data = os.environ.get("LIANCHA_TEST_PG_DATA")
        if not self.data or not Path(self.data).is_dir():
            if os.environ.get("CI"):
                pytest.fail("LIANCHA_TEST_PG_DATA is not set: run.py must hand the test server's data folder over")
            pytest.skip("needs LIANCHA_TEST_PG_DATA, the data folder of a test server this test may stop: "
                        "`python3 run.py test` sets it")
        self.url = empty_database_like(app, tmp_path, "liancha_outage")

    def stop(self, _app) -> None:
        import run

        run.pg_ctl(self.data, "stop")

    def start(self) -> None:
        import run

        run.pg_ctl(self.data, "start")


def test_an_unreachable_database_answers_503_in_chinese_logs_once_and_recovers(app, tmp_path, caplog):
    postgres = backend(app) == "postgresql"
    outage = PostgresOutage(app, tmp_path) if postgres else SqliteOutage(tmp_path)
    served = create_app({
        "SECRET_KEY": "outage-test", "SQLALCHEMY_DATABASE_URI": outage.url, "WTF_CSRF_ENABLED": False,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })

    @served.get("/failing-statement")
    def failing_statement():
        db.session.execute(sa.text("SELECT * FROM no_such_table"))

    with served.app_context():
        db.create_all()
        stamp(heads(served))
        user = User(username="office", display_name="办公室", role="office")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        db.session.remove()
    client, monitor = served.test_client(), served.test_client()  # the monitor has no session cookie
    login(client, "office")
    assert client.get("/subjects").status_code == 200
    assert monitor.get("/healthz").status_code == 200
    # a statement that fails on a working database is a 500 as before, not an outage
    failed = client.get("/failing-statement")
    assert failed.status_code == 500 and "系统内部错误" in failed.get_data(as_text=True)

    caplog.set_level(logging.INFO, logger=served.logger.name)
    outage.stop(served)
    try:
        pages = [client.get("/subjects"), client.get("/"), client.get("/no-such-page"),
                 client.post("/logout"), served.test_client().post("/login", data={"username": "office", "password": PASSWORD})]
        for page in pages:
            text = page.get_data(as_text=True)
            assert page.status_code == 503, (page.request.path, text[:300])
            assert UNAVAILABLE in text and "Internal Server Error" not in text
            assert page.headers["Retry-After"] == "30"
        health = monitor.get("/healthz")
        assert health.status_code == 503 and health.json["database"] == "unreachable"
    finally:
        outage.start()
    down = [r for r in caplog.records if "数据库无法连接" in r.getMessage()]
    assert len(down) == 1 and down[0].levelno == logging.ERROR  # once for the outage, not per request

    page = client.get("/subjects")  # still signed in: the log-out above never reached the database
    assert page.status_code == 200 and "检查对象名录库" in page.get_data(as_text=True)
    assert monitor.get("/healthz").status_code == 200
    recovered = [r for r in caplog.records if "数据库已恢复连接" in r.getMessage()]
    assert len(recovered) == 1
    assert len([r for r in caplog.records if "数据库无法连接" in r.getMessage()]) == 1

    with served.app_context():
        db.session.remove()
        db.engine.dispose()
    if not postgres:
        shutil.rmtree(outage.folder)


def backend(app) -> str:
    return sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
