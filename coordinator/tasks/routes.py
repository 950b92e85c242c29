"""我的检查任务: the page an inspector's own account lands on."""
from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_login import current_user

from ..access import INSPECTOR, roles_required
from ..timeutil import today
from . import services

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


@bp.get("/")
@roles_required(INSPECTOR)
def index():
    on = today()
    return render_template("tasks/index.html", on=on,
                           assignments=services.assignments(current_user, on, url_for),
                           finished=services.assignments(current_user, on, url_for, finished=True)[:20])
