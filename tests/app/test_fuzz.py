"""Bad input (issue 6, item 5): every POST route, as the office and as a department admin, gets the fields its
forms carry filled with hostile values. The answer is a page in Chinese or a redirect, never a 500."""
from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

from coordinator.extensions import db
from coordinator.imports.routes import KINDS
from coordinator.items.models import Item
from tests.app.test_security import PARAMETER, OwnContextClient, build_world, urls_for
from tests.conftest import PASSWORD

pytestmark = pytest.mark.slow  # fuzz (hypothesis) over every form and route

CJK = re.compile(r"[\u4e00-\u9fff]")
REDIRECTS = (301, 302, 303, 307, 308)
HOSTILE = [
    "", " ", "\u3000", "a" * 10_000, "中" * 10_000, "abc", "-1", "0", "1.5", "1e309", "NaN", "-0",
    "99999999999999999999999", "2024-13-45", "0000-00-00", "9999-12-31", "2024-02-30", "2024-06-11T10:00",
    "null", "None", "true", "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "{{7*7}}",
    "' OR '1'='1", "1; DROP TABLE subject; --", "%", "_", "\\", "\x00", "a\x00b", "\r\n\t", "１２３",
    "😀" * 50, "\u202e\u200b", "../../etc/passwd", "91139901MA0000001X",
]
# Each of these goes into every field of every form once, whatever hypothesis draws besides.
SWEEP = ["", "a" * 10_000, "abc", "-1", "99999999999999999999999", "2024-13-45", "a\x00b",
         "<script>alert(1)</script>", "' OR '1'='1"]
VALUE = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40), st.integers(-10**12, 10**12).map(str))
FIELD = st.one_of(VALUE, st.lists(VALUE, min_size=2, max_size=3))  # a field sent twice, as checkboxes are
UPLOAD = st.tuples(st.sampled_from([b"", b"garbage", b"PK\x03\x04not a workbook", b"\x89PNG\r\n\x1a\n" + b"x" * 64,
                                    b"\xff\xd8\xff" + b"\x00" * 64]),
                   st.sampled_from(["a.xlsx", "b.xls", "c.txt", "../../d.xlsx", "<script>.png", "e.jpg", ""]))


class FormFields(HTMLParser):
    """The fields of every form on a page, by the URL the form posts to."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url, self.forms, self.current = page_url, {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self.current = self.forms.setdefault(attrs.get("action") or self.page_url, {"names": set(), "files": set()})
        elif tag in ("input", "select", "textarea", "button") and self.current is not None and attrs.get("name"):
            kind = "files" if attrs.get("type") == "file" else "names"
            self.current[kind].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def _form_class_fields() -> set[str]:
    """Every field name of every form class: what a POST route without a rendered form is sent."""
    names, pending = set(), list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        names.update(n for n in dir(form) if isinstance(getattr(form, n, None), UnboundField))
    return names - {"csrf_token"}


def _post_ids(url_rule: str, ids: dict) -> dict:
    """Each step gets a row in the stage it acts on, and never the signed-in people's own department or
    account: the fuzz must not lock itself out."""
    ids = {**ids, "department_id": ids["hbj_id"], "user_id": ids["scj_officer_id"]}
    if re.search(r"/(items|lock|draw)$", url_rule):
        return {**ids, "campaign_id": ids["collecting_campaign_id"]}
    if re.search(r"/(confirm|replace|teams)$", url_rule):
        return {**ids, "campaign_id": ids["drawn_campaign_id"], "cs_id": ids["drawn_cs_id"]}
    if re.search(r"/results/<int:record_id>/(entry|review|photos)$", url_rule):
        return {**ids, "record_id": ids["other_record_id"]}  # still open; the other one is published
    return ids


def _sign_in(client, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code in REDIRECTS


def _check(response, url: str) -> None:
    assert response.status_code != 500, url
    if response.status_code in REDIRECTS:
        return
    assert response.mimetype == "text/html", (url, response.status_code, response.mimetype)
    assert CJK.search(response.get_data(as_text=True)), (url, response.status_code)


@pytest.mark.parametrize("username", ["office", "yjj_admin"])
def test_hostile_form_values_never_cause_a_server_error(app, username):
    with app.app_context():
        ids = build_world(text="河清县测试")
        db.session.remove()
    client = OwnContextClient(app, app.response_class, use_cookies=True)
    _sign_in(client, username)

    adapter = app.url_map.bind("localhost")
    fields: dict[str, dict] = {}  # by POST rule: the fields of its forms, and the query string they post with
    pages = [*urls_for(app, "GET", ids), f"/campaigns/{ids['drawn_campaign_id']}",
             f"/campaigns/{ids['drawn_campaign_id']}/confirm", f"/campaigns/{ids['collecting_campaign_id']}/items",
             f"/results/{ids['record_id']}/entry?department={ids['yjj_id']}",
             f"/results/{ids['other_record_id']}/entry?department={ids['yjj_id']}"]
    for page in pages:
        response = client.get(page)
        if response.mimetype == "text/html":
            parser = FormFields(page)
            parser.feed(response.get_data(as_text=True))
            for action, form in parser.forms.items():
                rule, _ = adapter.match(urlsplit(action).path, method="POST", return_rule=True)
                found = fields.setdefault(rule.rule, {"names": set(), "files": set(), "query": ""})
                found["names"] |= form["names"]
                found["files"] |= form["files"]
                found["query"] = found["query"] or urlsplit(action).query
        response.close()
    fallback = _form_class_fields()

    assert len(urls_for(app, "POST", ids)) >= 35  # also: every parameter of every POST route has an id
    posted = 0
    for rule in sorted((r for r in app.url_map.iter_rules() if "POST" in r.methods), key=lambda r: r.rule):
        values = _post_ids(rule.rule, ids)
        for kind in (KINDS if "<kind_name>" in rule.rule else [None]):
            filled = {**values, "kind_name": kind}
            url = PARAMETER.sub(lambda m, filled=filled: str(filled[m.group(1)]), rule.rule)
            # A form the world does not show (a step of another stage) gets every field name there is, and
            # fewer drawn examples: most of those fields mean nothing to it.
            form = fields.get(rule.rule) or {"names": fallback, "files": {"file", "photo"}, "query": ""}
            examples = 6 if rule.rule in fields else 3
            action = f"{url}?{form['query']}" if form["query"] else url
            strategy = st.fixed_dictionaries(dict.fromkeys(sorted(form["names"]), FIELD))
            uploads = st.fixed_dictionaries(dict.fromkeys(sorted(form["files"]), UPLOAD))

            def post(data: dict, files: dict, action: str = action) -> None:
                body = {**data, **{name: (io.BytesIO(content), filename) for name, (content, filename) in files.items()}}
                response = client.post(action, data=body)
                response.request.environ["wsgi.input"].close()  # a large body is a temporary file: close it
                _check(response, action)
                if response.status_code in REDIRECTS and "/login" in response.headers.get("Location", ""):
                    _sign_in(client, username)  # /logout, or a change that ended the session: carry on signed in

            for value in SWEEP:
                post(dict.fromkeys(form["names"], value), dict.fromkeys(form["files"], (value.encode(), "x.xlsx")))

            @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(data=strategy, files=uploads)
            def mixed(data, files):
                post(data, files)

            mixed()
            posted += 1
    assert posted >= 35


# ---- the server errors the fuzz found, one by one ----------------------------------------------------


def test_an_id_no_table_can_hold_is_a_missing_page(client, as_role):
    as_role("office")
    for url in ("/subjects/99999999999999999999999", f"/campaigns/{2**31}", "/items/2147483648/edit"):
        response = client.get(url)
        assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True), url


@pytest.mark.parametrize(("url", "data"), [
    ("/import/items", {"department_id": "9" * 23}),  # was OverflowError (SQLite) / integer out of range (PostgreSQL)
    ("/import/items/confirm", {"department_id": "9" * 23, "token": "0" * 32}),
    ("/items/new", {"department_id": "9" * 23, "name": "危险化学品经营许可检查"}),
])
def test_an_id_too_large_for_its_column_is_a_bad_request(client, as_role, url, data):
    as_role("office")
    response = client.post(url, data=data)
    assert response.status_code == 400 and "请求无效" in response.get_data(as_text=True)


def test_nul_bytes_are_refused_before_they_reach_the_database(client, as_role, departments):
    as_role("office")
    # was: PostgreSQL "text fields cannot contain NUL" (500) for items, while SQLite stored the NUL
    response = client.post("/items/new", data={"department_id": departments["yjj"].id, "name": "检查",
                                               "basis": "《安全生产法》\x00第六十二条"})
    assert response.status_code == 400 and "请求无效" in response.get_data(as_text=True)
    assert client.get("/subjects", query_string={"q": "加油站\x00"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Item)) == 0
    ok = client.post("/items/new", data={"department_id": departments["yjj"].id, "name": "检查",
                                         "basis": "《安全生产法》第六十二条"})
    assert ok.status_code in REDIRECTS  # the same form without the NUL saves
