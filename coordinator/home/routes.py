"""The workbench each role lands on after log-in: counts, to-dos, and what is due."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from ..access import account_required, own_department_id
from ..directories.services import directory_counts
from ..results.services import due_summary
from .services import tasks_for

bp = Blueprint("home", __name__)


@bp.get("/")
@account_required
def index():
    if current_user.is_inspector:
        return redirect(url_for("tasks.index"))
    department_id = own_department_id()
    due = due_summary(department_id=department_id)
    return render_template("home/index.html", counts=directory_counts(department_id),
                           tasks=tasks_for(current_user, due), due=due)
