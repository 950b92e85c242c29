"""What a page shows a role, the server lets that role do: every link, button and form on each role's pages.

Templates ask `may('endpoint')` before they show a link; routes declare their roles. This walks every page of the
authorisation matrix that a role may read, on the matrix's world, and holds each link and form on it to what the
server answers that role — so a template that shows a role a link the server refuses fails here.
"""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import MethodNotAllowed, NotFound

from coordinator.access import may, roles_for
from coordinator.auth.models import User
from coordinator.campaigns import services
from coordinator.campaigns.models import CampaignSubject
from coordinator.directories.models import Inspector
from coordinator.extensions import db
from coordinator.items.models import Item
from coordinator.results.models import InspectionRecord
from tests.app.county import (
    build_county,
    campaign_values,
    confirm_all,
    dispatched_county_campaign,
    drawn_campaign,
    submit_all_items,
)
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
from tests.conftest import PASSWORD, login

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


# ---- the other way round: each role still sees the buttons of its own work --------------------------------------
# The walk above holds every link a role sees to what the server allows it; a button a role needs and no longer sees
# would pass it. These are the core flows' buttons, on a campaign at each stage, page by page.

@pytest.fixture
def stages(ctx):
    """The small county with a joint campaign at each stage, and yjj's inspector account as 组长 of a record."""
    county = build_county()
    office = county["users"]["office"]
    collecting = services.create_campaign(campaign_values(name="征集中"), county["yjj"], [county["scj"]], office)
    submitted = services.create_campaign(campaign_values(name="事项已提交"), county["yjj"], [county["scj"]], office)
    db.session.flush()
    submit_all_items(submitted, county)
    drawn = drawn_campaign(county, name="已抽取")
    teamed = drawn_campaign(county, name="已组队")
    confirm_all(teamed, office)
    services.lock_and_run_team_draw(teamed, "7", "", office)
    dispatched = dispatched_county_campaign(county)
    record = db.session.scalars(sa.select(InspectionRecord).join(InspectionRecord.campaign_subject)
                                .where(CampaignSubject.campaign_id == dispatched.id)
                                .order_by(InspectionRecord.id)).first()
    leader = record.campaign_subject.leader.inspector
    account = User(username="yjj_inspector", display_name=leader.name, role="inspector",
                   department_id=county["yjj"].id, inspector=leader)
    account.set_password(PASSWORD)
    db.session.add(account)
    db.session.commit()
    first = {code: db.session.scalar(sa.select(model.id).where(model.department_id == county["yjj"].id)
                                     .order_by(model.id).limit(1)) for code, model in (("inspector", Inspector),
                                                                                       ("item", Item))}
    return {"collecting": collecting.id, "submitted": submitted.id, "drawn": drawn.id, "teamed": teamed.id,
            "dispatched": dispatched.id, "record": record.id, **first}


CORE_BUTTONS = [  # (user, page, what it must show: a link, or "POST url" for a form's button)
    # the department admin: its items, its confirmation, results, its own inspection, its directory rows
    ("yjj_admin", "/campaigns/{collecting}", "/campaigns/{collecting}/items"),
    ("yjj_admin", "/campaigns/{collecting}/items", "POST /campaigns/{collecting}/items"),
    ("yjj_admin", "/campaigns/{drawn}", "/campaigns/{drawn}/confirm"),
    ("yjj_admin", "/campaigns/{drawn}/confirm", "POST /campaigns/{drawn}/confirm"),
    ("yjj_admin", "/results/{record}", "/results/{record}/entry"),
    ("yjj_admin", "/results/{record}/entry", "POST /results/{record}/entry"),
    ("yjj_admin", "/campaigns/", "/campaigns/new?kind=internal"),
    ("yjj_admin", "/campaigns/", "/campaigns/new?kind=special"),
    ("yjj_admin", "/inspectors", "/inspectors/new"),
    ("yjj_admin", "/inspectors/{inspector}", "/inspectors/{inspector}/edit"),
    ("yjj_admin", "/inspectors/{inspector}", "POST /inspectors/{inspector}/active"),
    ("yjj_admin", "/items/", "/items/new"),
    ("yjj_admin", "/items/{item}", "/items/{item}/edit"),
    ("yjj_admin", "/items/{item}", "POST /items/{item}/active"),
    ("yjj_admin", "/plans/monthly", "POST /plans/monthly/new"),
    # the office: campaigns, the seed rounds of each draw, dispatch
    ("office", "/campaigns/", "/campaigns/new"),
    ("office", "/campaigns/{submitted}", "POST /campaigns/{submitted}/rounds"),
    ("office", "/campaigns/{drawn}", "POST /campaigns/{drawn}/rounds"),
    ("office", "/campaigns/{teamed}", "POST /campaigns/{teamed}/dispatch"),
    ("office", "/campaigns/{dispatched}", "/campaigns/{dispatched}/dispatch.xlsx"),
    # the officer enters its department's results; the inspector's own account its team's records
    ("yjj_officer", "/results/{record}", "/results/{record}/entry"),
    ("yjj_officer", "/results/{record}/entry", "POST /results/{record}/entry"),
    ("yjj_inspector", "/tasks/", "/results/{record}"),
]


@pytest.mark.parametrize("user", sorted({user for user, _page, _button in CORE_BUTTONS}))
def test_each_role_sees_the_buttons_of_its_work(app, stages, user):
    client = app.test_client()
    login(client, user)
    missing = []
    for who, template, wanted in CORE_BUTTONS:
        if who != user:
            continue
        page = template.format(**stages)
        response = _request(client, "GET", page, None)
        assert response.status_code == 200, (user, page, response.status_code)
        parser = Targets()
        parser.feed(response.get_data(as_text=True))
        shown = {f"{method} {urljoin(page, target)}" if method == "POST" else urljoin(page, target)
                 for method, target in parser.found}
        if wanted.format(**stages) not in shown:
            missing.append(f"{page}: {wanted}")
    assert not missing, f"{user} no longer sees:\n" + "\n".join(missing)
