"""联查通: the Flask application factory."""
from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    with _no_collection_pauses():
        app = _build(test_config)
    if not app.testing:
        # A command's or a server's process keeps this app (modules, models, URL rules) until it ends: out of the
        # collector's sight, its half a million objects are no longer scanned again by every full collection the
        # work starts (≈ 0.3 s of the coverage command's 100,000 rows). Test apps come and go: not frozen.
        gc.freeze()
    return app


@contextmanager
def _no_collection_pauses() -> Iterator[None]:
    """Building the app makes a few hundred thousand long-lived objects (the ORM models and their mappers, the
    URL rules, the commands), and each batch of new objects starts a garbage collection that scans all of them
    again: ≈ 0.15 s of CPU on every start, a command's or a worker's. Nothing built here is garbage; collection
    resumes as it was when the app is built."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _build(test_config: dict | None) -> Flask:
    import sqlalchemy.orm as sa_orm  # here and below, not at the top: imported inside the pause-free build

    from . import config, security
    from .health import services as health

    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    # The pool settings follow the database actually used: a test app on SQLite while DATABASE_URL names
    # PostgreSQL must not get PostgreSQL's connect arguments.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", config.engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    register_extensions(app)
    health.register(app)
    security.register(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    # Every model is imported now: map them all here, inside the pause-free build, rather than at the first query
    # (≈ 0.3 s, the first request's or the command's).
    sa_orm.configure_mappers()
    return app


def register_extensions(app: Flask) -> None:
    from .extensions import csrf, db, login_manager

    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "info"

    from .auth.models import User

    @login_manager.user_loader
    def load_user(cookie_id: str):
        user_id, _, token = cookie_id.partition(":")
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or user.session_token != token or not user.active:
            return None
        return user


def register_blueprints(app: Flask) -> None:
    from .audit.routes import bp as audit_bp
    from .auth.routes import bp as auth_bp
    from .campaigns.routes import bp as campaigns_bp
    from .coverage.routes import bp as coverage_bp
    from .directories.routes import bp as directories_bp
    from .draws.routes import bp as draws_bp
    from .exchange.api import bp as api_bp
    from .exchange.routes import bp as exchange_bp
    from .experts.routes import bp as experts_bp
    from .followups.routes import bp as followups_bp
    from .health.routes import bp as health_bp
    from .home.routes import bp as home_bp
    from .imports.routes import bp as imports_bp
    from .items.routes import bp as items_bp
    from .plans.routes import bp as plans_bp
    from .public.routes import bp as public_bp
    from .results.routes import bp as results_bp
    from .stats.routes import bp as stats_bp
    from .tasks.routes import bp as tasks_bp
    from .visits.routes import bp as visits_bp

    for bp in (home_bp, auth_bp, directories_bp, items_bp, imports_bp, campaigns_bp, draws_bp, plans_bp, results_bp,
               audit_bp, stats_bp, public_bp, health_bp, exchange_bp, api_bp, tasks_bp, visits_bp,
               followups_bp, coverage_bp, experts_bp):
        app.register_blueprint(bp)


def register_errorhandlers(app: Flask) -> None:
    from .errors import register_errorhandlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from .cli import commands
    from .clikit import Group

    app.cli = Group(app.name)
    for command in commands:
        app.cli.add_command(command)


def register_template_helpers(app: Flask) -> None:
    from . import templating

    templating.register(app)
