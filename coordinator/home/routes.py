"""The workbench each role lands on after log-in."""
from __future__ import annotations

from flask import Blueprint, render_template

from ..access import login_required, own_department_id
from ..directories.services import directory_counts

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    return render_template("home/index.html", counts=directory_counts(own_department_id()))
