"""One way to paginate a SQLAlchemy select for list pages, and to read their search box."""
from __future__ import annotations

from flask import current_app, request

from .extensions import db


def paginate(query, page: int, per_page: int | None = None):
    per_page = per_page or current_app.config["PAGE_SIZE"]
    return db.paginate(query, page=max(page, 1), per_page=per_page, max_per_page=200, error_out=False)


SEARCH_LIMIT = 100  # no name, address or code is longer; SQLite refuses LIKE patterns past 50,000 bytes


def search_arg(name: str = "q") -> str:
    """The list page's search text, trimmed and cut to a length any real search fits in."""
    return request.args.get(name, "").strip()[:SEARCH_LIMIT]
