"""Every Flask extension object, created once and bound in the app factory."""
from pathlib import Path

from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
MIGRATIONS = str(Path(__file__).parent / "migrations")


def migrations(app) -> None:
    """Binds Flask-Migrate to `app` when first needed: `flask_migrate.upgrade()` and `downgrade()` read it from
    `app.extensions["migrate"]`. Not done in the factory because importing Flask-Migrate imports Alembic (≈ 0.1 s
    of every start), which only `init-db` and the migration tests use."""
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate

    Migrate(app, db, directory=MIGRATIONS, render_as_batch=True)
    app.cli.commands.pop("db", None)  # its `flask db` group: never offered (init-db is the one schema command)
