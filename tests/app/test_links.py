"""What a page shows a role, the server lets that role do: every link, button and form on each role's pages.

Templates ask `may('endpoint')` before they show a link; routes declare their roles. This walks every page of the
authorisation matrix that a role may read, on the matrix's world, and holds each link and form on it to what the
server answers that role — so a template that shows a role a link the server refuses fails here.
"""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from coordinator.access import may, roles_for
from tests.app.test_access import (
    ADMIN,
    ANONYMOUS,
    INSPECTOR,
    LOGIN,
    MATRIX,
    OFFICE,
    OFFICER,
    USERNAMES,
    _expected,
    _outcome,
    _request,
    full_world,
)
from tests.conftest import login

__all__ = ["full_world"]  # the matrix's world, as a fixture of this module too

DOWNLOADS = (".xlsx", ".json", ".csv")


class Targets(HTMLParser):
    """The links (`a href`) and forms (method, action) of a page, as written."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str]] = []  # (method, url)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.found.append(("GET", attrs["href"]))
        elif tag == "form":
            self.found.append(((attrs.get("method") or "get").upper(), attrs.get("action") or ""))


def pages(role: str) -> list[str]:
    """The pages of the matrix `role` reads (an HTML page answering 200), as URL templates."""
    return [url for method, url, allowed, expect, _data in MATRIX
            if method == "GET" and role in allowed and _expected(expect, role) == 200
            and not urlsplit(url).path.endswith(DOWNLOADS)]


def _in_app(adapter, page: str, method: str, target: str):
    """(endpoint, URL arguments, path with query) of a link into the app; None for another site, a phone
    number, an anchor on the page or a static file."""
    url = urlsplit(urljoin(page, target))
    if url.scheme not in ("http", "https", "") or url.netloc not in ("", "localhost"):
        return None
    try:
        endpoint, args = adapter.match(url.path, method=method)
    except NotFound:
        raise AssertionError(f"{page}: {method} {target} leads to no route") from None
    except MethodNotAllowed:
        raise AssertionError(f"{page}: {method} {target}: the route takes no {method}") from None
    if endpoint == "static":
        return None
    return endpoint, args, url.path + (f"?{url.query}" if url.query else "")


@pytest.mark.parametrize("role", (OFFICE, ADMIN, OFFICER, INSPECTOR, ANONYMOUS))
def test_every_link_a_role_sees_is_one_it_may_follow(app, full_world, role):
    client = app.test_client()
    if role != ANONYMOUS:
        login(client, USERNAMES[role])
    adapter = app.url_map.bind("localhost")
    followed: dict[str, object] = {}  # each GET link once: what the role meets there
    refused = []
    walked = 0
    for template in pages(role):
        page = template.format(**full_world)
        response = _request(client, "GET", page, None)
        assert response.status_code == 200, (role, page, response.status_code)
        if response.mimetype != "text/html":
            continue
        walked += 1
        parser = Targets()
        parser.feed(response.get_data(as_text=True))
        for method, target in parser.found:
            found = _in_app(adapter, page, method, target)
            if found is None:
                continue
            endpoint, args, path = found
            view = app.view_functions[endpoint]
            declared = roles_for(view, method, args if getattr(view, "url_roles", None) else {})
            if role not in declared:
                refused.append((page, method, path, f"the route lets in {declared}"))
            elif method == "GET" and path not in followed:
                followed[path] = _outcome(_request(client, "GET", path, None))
                if followed[path] in (403, LOGIN):
                    refused.append((page, method, path, followed[path]))
    assert walked >= 3, pages(role)
    assert not refused, "\n".join(f"{role} on {page}: {method} {path} → {why}" for page, method, path, why in refused)


@pytest.mark.parametrize(("role", "expected"), [
    (OFFICE, {"plans.detail": True, "plans.detail POST": True, "imports.upload subjects": True, "experts.new": True}),
    (ADMIN, {"plans.detail": True, "plans.detail POST": False, "imports.upload subjects": False,
             "imports.upload items": True, "experts.new": True}),
    (OFFICER, {"plans.detail": True, "plans.detail POST": False, "imports.upload items": False, "experts.new": False}),
    (ANONYMOUS, {"plans.detail": False, "public.index": True, "auth.login": True}),
])
def test_may_answers_what_the_route_declares(app, make_user, role, expected):
    """The role part only: the page, its form, the kind the URL names."""
    client = app.test_client()
    if role != ANONYMOUS:
        login(client, make_user(role, None if role == OFFICE else "yjj").username)
    with client:
        client.get("/account/password" if role != ANONYMOUS else "/public/")  # a request of this user's
        got = {}
        for question in expected:
            endpoint, _, rest = question.partition(" ")
            kind = {"kind_name": rest} if rest in ("subjects", "items") else {}
            got[question] = may(endpoint, "POST" if rest == "POST" else "GET", **kind)
    assert got == expected


def test_may_refuses_to_guess(app, make_user):
    """An endpoint that does not exist, and URL arguments a route's roles do not depend on, are mistakes."""
    client = app.test_client()
    login(client, make_user(OFFICE, None).username)
    with client:
        client.get("/account/password")
        with pytest.raises(LookupError):
            may("experts.nonexistent")
        with pytest.raises(TypeError):
            may("experts.edit", expert_id=1)  # may() answers for the role, not for the row
        with pytest.raises(TypeError):
            may("imports.upload")  # which kind?
