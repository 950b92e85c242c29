"""Fixtures: one app per test session on SQLite (or PostgreSQL via DATABASE_URL), emptied after every test."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from coordinator import create_app
from coordinator.audit import seal
from coordinator.auth.models import Department, User
from coordinator.directories.services import forget_directory_cache
from coordinator.extensions import db

PASSWORD = "Passw0rd1"
# Apps the tests build on databases of their own keep their audit checkpoints here, not in the instance folder.
os.environ.setdefault("AUDIT_CHECKPOINT_DIR", tempfile.mkdtemp(prefix="liancha-audit-"))


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/solver" in item.nodeid.replace(os.sep, "/"):
            item.add_marker(pytest.mark.nodb)


class Client(FlaskClient):
    """A test client whose requests never see another client's log-in.

    Tests that hold an app context (`ctx`) share it with every request, and Flask-Login caches the user
    in `g`: without this, the second client in a test would act as the first.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
        try:
            return super().open(*args, **kwargs)
        finally:
            if has_app_context():
                g.pop("_login_user", None)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    base = tmp_path_factory.mktemp("app")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{base / 'test.db'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "UPLOAD_FOLDER": str(base / "uploads"),
        "ATTACHMENT_FOLDER": str(base / "attachments"),
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; production uses scrypt
        "AUDIT_KEY": "test-audit-key",
        "AUDIT_CHECKPOINT": str(base / "audit-checkpoint.json"),
    })
    app.test_client_class = Client
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request):
    yield
    if "app" not in request.fixturenames:
        return
    empty_database(request.getfixturevalue("app"))


def empty_database(app) -> None:
    """Every table of the test database emptied, the caches and the audit checkpoint forgotten."""
    forget_directory_cache()
    with app.app_context():
        seal.forget()  # the audit log is emptied below: its checkpoint goes with it
        db.session.remove()
        with db.engine.begin() as connection:
            postgres = connection.dialect.name == "postgresql"
            if postgres:
                # DELETE rather than TRUNCATE, which makes new files for all 48 tables (≈ 0.06 s after each of a
                # thousand tests, more under load), with the foreign-key triggers off for this transaction (every
                # table is emptied; row-by-row checks made DELETE slower than TRUNCATE on a test's few thousand rows).
                connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
            if postgres:  # ids start again at 1, as SQLite's do in an emptied table (TRUNCATE's RESTART IDENTITY)
                connection.execute(sa.text("SELECT setval(c.oid::regclass, 1, false) FROM pg_class c "
                                           "WHERE c.relkind = 'S'"))


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def departments(ctx):
    rows = [Department(code="yjj", name="应急管理局"), Department(code="scj", name="市场监督管理局"),
            Department(code="xfj", name="消防救援大队")]
    db.session.add_all(rows)
    db.session.commit()
    return {d.code: d for d in rows}


@pytest.fixture
def make_user(ctx, departments):
    def make(role: str, department: str | None = "yjj", username: str | None = None) -> User:
        user = User(username=username or f"{role}_{department or 'office'}", display_name=f"{role}用户", role=role,
                    department_id=None if role == "office" else departments[department].id)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user

    return make


def login(client, username: str, password: str = PASSWORD):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code in (302, 303), response.data.decode()[:500]
    return response


@pytest.fixture
def as_role(client, make_user):
    """Log the test client in as a fresh user of `role` (in `department`); returns the user."""

    def log_in(role: str, department: str | None = "yjj") -> User:
        user = make_user(role, None if role == "office" else department)
        login(client, user.username)
        return user

    return log_in


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def empty_database_like(app, tmp_path: Path, name: str) -> str:
    """A URL for a new, empty database on the same server as the test database (a file for SQLite)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / (name + '.db')}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)
