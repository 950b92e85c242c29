"""Authorisation in one place: who may call a view, and which department's rows they may touch."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user

from .extensions import login_manager


def roles_required(*roles: str, post: tuple[str, ...] | None = None,
                   by_url: Callable[..., tuple[str, ...]] | None = None):
    """Let only signed-in users with one of `roles` through; others get 403 (anonymous: the log-in page).

    `post`: the fewer roles that may send the page's own form (a page every role reads, a form only some send).
    `by_url`: for a view serving several kinds, the roles of the kind the URL names (a function of the URL's
    arguments); `roles` is then every role some kind allows. Declared here rather than checked inside the
    view, so that templates ask the same question (`may`) before they show a link or a form.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles_for(wrapped, request.method, kwargs if by_url else {}):
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles  # every role that gets past the door; read by the authorisation-matrix test
        wrapped.post_roles, wrapped.url_roles = post, by_url
        return wrapped

    return decorator


def roles_for(view, method: str, view_args: dict) -> tuple[str, ...]:
    """The roles `view` lets through for a `method` request to the URL of `view_args`, as it declares them."""
    roles = getattr(view, "allowed_roles", None)
    if roles is None:
        raise LookupError(f"{view.__name__} declares no roles")
    post = getattr(view, "post_roles", None)
    if method == "POST" and post is not None:
        roles = post
    by_url = getattr(view, "url_roles", None)
    if by_url is not None:
        given = set(by_url(**view_args))
        roles = tuple(role for role in roles if role in given)
    elif view_args:
        raise TypeError(f"{view.__name__}: its roles do not depend on {sorted(view_args)}")
    return roles


def may(endpoint: str, method: str = "GET", **view_args) -> bool:
    """Whether the current user's role passes the roles `endpoint` declares: what a template asks before it shows
    a link, a button or a form. Only the role: a view's checks of a row's department or state stay the caller's
    to ask (a model method), and the URL's arguments are given only to a view whose roles depend on them
    (`by_url`). An unknown endpoint is a mistake, not a no."""
    view = current_app.view_functions.get(endpoint)
    if view is None:
        raise LookupError(f"may(): no route is called {endpoint!r}")
    role = current_user.role if current_user.is_authenticated else "anonymous"
    return role in roles_for(view, method, view_args)


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
