"""Configuration read from the environment, with SQLite in the instance folder as the fallback."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from .secretfile import kept_secret


def _secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    return kept_secret(Path(instance_path) / "secret_key")


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres://"):  # the form many hosts hand out; SQLAlchemy wants the dialect name
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url or "sqlite:///" + str(Path(instance_path) / "liancha.db")


def engine_options(url: str) -> dict:
    """A PostgreSQL pool as large as the server's thread count, so requests never queue for a connection."""
    options = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        options.update(pool_size=int(os.environ.get("DB_POOL_SIZE", "16")), max_overflow=8,
                       # a server that does not answer (host down) costs a request 10 s, not the system's minutes
                       connect_args={"connect_timeout": 10})
    return options


def parse_max_ages(text: str) -> dict[str, int]:
    """EXCHANGE_MAX_AGE_DAYS, e.g. "directory=365,registration=30": how old each data source may get (days)."""
    ages = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, days = part.partition("=")
        if not days.strip().isdigit() or int(days) < 1:
            raise ValueError(f"EXCHANGE_MAX_AGE_DAYS 中的“{part}”无效，应写成 来源=天数，如 directory=365")
        ages[name.strip()] = int(days)
    return ages


def from_environment(instance_path: str) -> dict:
    from .audit.seal import load_key

    return {
        "SECRET_KEY": _secret_key(instance_path),
        # The audit chain's key and the checkpoint of its end live outside the database (see SECURITY.md).
        "AUDIT_KEY": load_key(instance_path),
        "AUDIT_CHECKPOINT": os.environ.get("AUDIT_CHECKPOINT") or None,
        "AUDIT_CHECKPOINT_DIR": os.environ.get("AUDIT_CHECKPOINT_DIR") or None,
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "32")) * 1024 * 1024,
        # An import is refused before parsing beyond these: unpacked size of a workbook, rows of a sheet.
        "MAX_UNPACKED_MB": int(os.environ.get("MAX_UNPACKED_MB", "200")),
        "MAX_IMPORT_ROWS": int(os.environ.get("MAX_IMPORT_ROWS", "300000")),
        "UPLOAD_FOLDER": str(Path(instance_path) / "uploads"),
        "ATTACHMENT_FOLDER": os.environ.get("ATTACHMENT_FOLDER") or str(Path(instance_path) / "attachments"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        # Flask refuses a session cookie signed longer ago than this: one working day, then log in again.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # "记住我" would otherwise last a year and travel over plain HTTP even when the session cookie may not.
        "REMEMBER_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_DURATION": timedelta(days=7),
        "WTF_CSRF_TIME_LIMIT": None,  # a form left open over lunch must still submit
        "WTF_I18N_ENABLED": False,  # no Flask-Babel: forms take WTForms' Chinese messages (coordinator/forms.py)
        "PAGE_SIZE": 50,
        "COUNTY_NAME": os.environ.get("COUNTY_NAME", "河清县"),
        "EXCHANGE_MAX_AGE_DAYS": parse_max_ages(os.environ.get("EXCHANGE_MAX_AGE_DAYS", "")),
        # How many reverse proxies (the TLS proxy) stand in front of the app: their X-Forwarded-For names the
        # browser's address, which log-in throttling and the audit log key on. 0: use the connection's address.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
    }
