"""The workbench each role lands on after log-in: counts, to-dos, and what is due."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..access import login_required, own_department_id
from ..directories.services import directory_counts
from ..results.services import due_summary
from .services import tasks_for

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    department_id = own_department_id()
    due = due_summary(department_id=department_id)
    return render_template("home/index.html", counts=directory_counts(department_id),
                           tasks=tasks_for(current_user, due), due=due)
