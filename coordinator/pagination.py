"""One way to paginate a SQLAlchemy select for list pages."""
from __future__ import annotations

from flask import current_app

from .extensions import db


def paginate(query, page: int, per_page: int | None = None):
    per_page = per_page or current_app.config["PAGE_SIZE"]
    return db.paginate(query, page=max(page, 1), per_page=per_page, max_per_page=200, error_out=False)
