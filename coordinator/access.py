"""Authorisation in one place: who may call a view, and which department's rows they may touch."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from .extensions import login_manager


def roles_required(*roles: str):
    """Let only signed-in users with one of `roles` through; others get 403 (anonymous: the log-in page)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles  # read by the authorisation-matrix test
        return wrapped

    return decorator


ANY_ROLE = ("office", "admin", "officer")
login_required = roles_required(*ANY_ROLE)
# An inspector's own account reaches only what names it: its task list, the records of its teams, its password.
INSPECTOR = "inspector"
EVERY_ACCOUNT = (*ANY_ROLE, INSPECTOR)
account_required = roles_required(*EVERY_ACCOUNT)
EVERYONE = ("anonymous", *EVERY_ACCOUNT)


def public(view):
    """Open to anyone; declared like roles_required so the authorisation-matrix test knows it is meant."""
    view.allowed_roles = EVERYONE
    return view


def own_department_id() -> int | None:
    """The department a user is bound to; None for the office, which sees every department."""
    return None if current_user.is_office else current_user.department_id


def ensure_department(department_id: int | None) -> None:
    """403 unless the current user is the office or belongs to `department_id`."""
    if current_user.is_office:
        return
    if department_id is None or department_id != current_user.department_id:
        abort(403)


def ensure_can_edit_department(department_id: int | None) -> None:
    """Editing a department's directory rows: the office, or that department's administrator."""
    if current_user.role == "officer":
        abort(403)
    ensure_department(department_id)
