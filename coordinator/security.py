"""Response headers that tell browsers what not to allow; input no column can hold answered with a 400, not a 500."""
from __future__ import annotations

from flask import abort, g, request
from flask_login import current_user
from sqlalchemy.exc import DataError
from werkzeug.routing import IntegerConverter

from .errors import render_error
from .extensions import db

# Scripts and images only from this server, so injected markup cannot run anything; templates use style
# attributes, so styles alone may be inline. Images may also be data: (Bootstrap draws its check marks and
# menu icon so) and blob: (the photos an inspector picked, shown before they are sent); neither runs code.
# No framing (clickjacking), forms post only back here.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
LARGEST_ID = 2**31 - 1  # an INTEGER key; SQLite refuses Python ints past 2**63 with an OverflowError


class IdConverter(IntegerConverter):
    """`<int:…>` in every URL: an id no table can hold is a missing page (404), not a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


def register(app) -> None:
    """Call before the blueprints: their rules take the `int` converter in force when they are added."""
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def refuse_nul_bytes():
        # No keyboard types NUL; PostgreSQL refuses it in text while SQLite would store it, so it is refused
        # here, once, for every form and query string (uploaded files are not form fields and keep theirs).
        for values in (request.args, request.form):
            if any("\x00" in key or "\x00" in value for key, value in values.items(multi=True)):
                abort(400)

    @app.after_request
    def security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        # The user as this request already loaded it: loading it here would query a database that may be down.
        user = g.get("_login_user")
        if request.endpoint != "static" and user is not None and user.is_authenticated:
            # A signed-in page names people and enterprises: no shared or browser cache may keep a copy for
            # the next person at the same computer or behind the same proxy.
            response.headers["Cache-Control"] = "no-store"
            if response.status_code == 200 and "Content-Disposition" in response.headers:
                log_download(response)
        return response

    def bad_input(error):
        # A number too large for its column (an id typed into a form or query string), or text too long for
        # one: the request is at fault. Logged, since a check in the view or form should have caught it first.
        db.session.rollback()
        app.logger.warning("请求数据超出数据库字段范围（%s %s）：%s", request.method, request.path, error)
        return render_error(400)

    app.register_error_handler(OverflowError, bad_input)
    app.register_error_handler(DataError, bad_input)


def _request_details() -> dict:
    return {"method": request.method, "path": request.full_path.rstrip("?")[:500], "endpoint": request.endpoint or "",
            "address": request.remote_addr or ""}


def log_download(response) -> None:
    """Every file a signed-in user takes away (exports, workbooks, draw records, photos) goes to the audit log."""
    from .audit.services import log_event

    disposition = response.headers.get("Content-Disposition", "")
    log_event("download", "request", None, {**_request_details(), "file": disposition[:300]})


def log_refusal() -> None:
    """A signed-in user refused a page or an act (403): who tried what, for the office to see."""
    from .audit.services import log_event

    if current_user.is_authenticated:
        log_event("denied", "request", None, _request_details())
