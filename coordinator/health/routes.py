"""/healthz for the county's monitoring: no log-in, JSON, 200 when the app can serve and 503 when it cannot."""
from __future__ import annotations

from flask import Blueprint, jsonify

from ..access import public
from . import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    healthy, report = services.check()
    return jsonify(report), 200 if healthy else 503, {"Cache-Control": "no-store"}
