"""What the browser tests share: the demo county served as in production, and a person logged in to it."""
from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from coordinator.audit.seal import checkpoint_in
from tests.conftest import empty_database_like

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "Demo2024"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


_SEEDED: dict[str, str] = {}  # the test database's URL → the URL of the demo county seeded once beside it


def demo_copy(app, tmp: Path) -> str:
    """A URL for a database of its own holding the demo county as `init-db` and `seed-demo` leave it. The two
    commands run once per test session (≈ 10 s), on a database kept as the template; each caller gets a copy
    of it, with its audit checkpoint, so that what one module's clicks change no other module sees."""
    test_url = app.config["SQLALCHEMY_DATABASE_URI"]
    if test_url not in _SEEDED:
        folder = tmp.parent / "demo-template"
        folder.mkdir(exist_ok=True)
        template = empty_database_like(app, folder, "liancha_e2e_demo")
        env = {**os.environ, "DATABASE_URL": template, "SECRET_KEY": "e2e", "ATTACHMENT_FOLDER": str(folder)}
        flask = [sys.executable, "-m", "flask", "--app", "coordinator"]
        subprocess.run([*flask, "init-db"], env=env, cwd=ROOT, check=True, capture_output=True)
        subprocess.run([*flask, "seed-demo"], env=env, cwd=ROOT, check=True, capture_output=True)
        _SEEDED[test_url] = template
    template = _SEEDED[test_url]
    url = make_url(test_url)
    if url.get_backend_name() == "sqlite":
        copy = f"sqlite:///{tmp / 'liancha_e2e.db'}"
        with sqlite3.connect(make_url(template).database) as source, sqlite3.connect(tmp / "liancha_e2e.db") as to:
            source.backup(to)
    else:
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text("DROP DATABASE IF EXISTS liancha_e2e WITH (FORCE)"))
            connection.execute(sa.text("CREATE DATABASE liancha_e2e TEMPLATE liancha_e2e_demo"))
        engine.dispose()
        copy = url.set(database="liancha_e2e").render_as_string(hide_password=False)
    checkpoints = os.environ["AUDIT_CHECKPOINT_DIR"]  # set by tests/conftest.py for every app the tests start
    checkpoint_in(checkpoints, copy).unlink(missing_ok=True)  # a previous module's, on the same database name
    if checkpoint_in(checkpoints, template).exists():
        shutil.copyfile(checkpoint_in(checkpoints, template), checkpoint_in(checkpoints, copy))
    return copy


def serve_demo(app, tmp: Path, prepare: str = ""):
    """The production server as the README runs it (gunicorn, two worker processes) on loopback, on its own
    database holding the demo county (`demo_copy`): consecutive clicks land in either process. `prepare`
    ("module:function") is called in an app context on that database before the server starts. Yields the base
    URL."""
    env = {**os.environ, "DATABASE_URL": demo_copy(app, tmp), "SECRET_KEY": "e2e",
           "ATTACHMENT_FOLDER": str(tmp / "attachments")}
    if prepare:
        module, function = prepare.split(":")
        script = (f"from coordinator import create_app\nfrom {module} import {function}\n"
                  f"with create_app().app_context():\n    {function}()\n")
        subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    log = (tmp / "server.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                               "--threads", "4", "coordinator:create_app()"],
                              env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield base
    server.terminate()
    server.wait(timeout=10)
    log.close()


class Person:
    """One user in their own browser context, logged in."""

    def __init__(self, browser, base: str, username: str, phone: bool = False, width: int = 1366):
        viewport = {"width": 390, "height": 844} if phone else {"width": width, "height": 900}
        self.context = browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True,
                                           is_mobile=phone, has_touch=phone)
        self.page = self.context.new_page()
        self.page.on("dialog", lambda dialog: dialog.accept())  # the "are you sure?" confirmations
        self.base, self.username = base, username
        self.go("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(lambda url: url.startswith(base) and "/login" not in url)  # the role's first page

    def go(self, path: str):
        response = self.page.goto(self.base + path)
        assert response.status < 400, (path, response.status)
        return response

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def click_through(self, target) -> None:
        """Click what leads to another page (a form's button or a link; a selector or a locator) and wait until
        that page has loaded. A plain click returns as soon as the click is dispatched — before an "are you sure?"
        dialog is accepted and the answer arrives — so reading the next page right after it races the server."""
        button = self.page.locator(target) if isinstance(target, str) else target
        with self.page.expect_navigation():
            button.click()

    def flash(self) -> str:
        return " ".join(self.page.locator(".flash").all_inner_texts())

    def fits(self) -> bool:
        """Nothing sticks out sideways: the page is no wider than the screen."""
        return self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
