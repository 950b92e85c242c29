"""The simulated users of bench/bench_load.py (locust; not run on its own: bench_load.py starts it).

Read-only: every user logs in once when it starts (log-in is excluded from the figures), then clicks through a
weighted mix of pages with a think time between clicks. Which ids and filter values exist, and which account
may see what, come from the plan file bench_load.py writes (LIANCHA_LOAD_PLAN); every request is recorded
with its own time into LIANCHA_LOAD_OUT so bench_load.py computes exact percentiles.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from urllib.parse import quote, urlencode

import gevent
import gevent.event
from locust import FastHttpUser, between, events, task

with open(os.environ["LIANCHA_LOAD_PLAN"], encoding="utf-8") as _plan:
    PLAN = json.load(_plan)
OUT = os.environ["LIANCHA_LOAD_OUT"]
WAIT = tuple(float(x) for x in os.environ.get("LIANCHA_LOAD_WAIT", "1,3").split(","))
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')

_samples: list[tuple[str, float, int, str]] = []  # (page, ms, status, error) once the clock runs
_logins: list[tuple[str, float, int, str]] = []
DURATION = float(os.environ.get("LIANCHA_LOAD_DURATION", "120"))
_recording = gevent.event.Event()
_accounts = itertools.cycle(PLAN["accounts"])
_state = {"staff": None, "logged_in": 0}


def _maybe_start(environment) -> None:
    """The clock starts once every user runs and every staff user has logged in; it stops itself DURATION later."""
    if _recording.is_set() or _state["staff"] is None or _state["logged_in"] < _state["staff"]:
        return
    _recording.set()
    _samples.append(("__start__", time.time(), 0, ""))
    open(OUT + ".started", "w").close()  # bench_load.py starts its profiler on this

    def stop_later():
        gevent.sleep(DURATION)
        environment.runner.quit()

    gevent.spawn(stop_later)


_environment: dict = {}


@events.init.add_listener
def _init(environment, **_):
    _environment["env"] = environment


@events.spawning_complete.add_listener
def _spawned(user_count, **_):
    environment = _environment["env"]
    _state["staff"] = environment.runner.user_classes_count.get("Staff", 0)
    _maybe_start(environment)


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None, exception=None, **_):
    status = getattr(response, "status_code", 0) or 0
    row = (name, float(response_time), int(status), "" if exception is None else repr(exception)[:200])
    if name.startswith("登录"):
        _logins.append(row)
    elif _recording.is_set():
        _samples.append(row)


@events.quitting.add_listener
def _dump(environment, **_):
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"samples": _samples, "logins": _logins, "end": time.time()}, f, ensure_ascii=False)


def _choice(seq, default=None):
    return random.choice(seq) if seq else default


class _Pages:
    """Helpers shared by both kinds of user."""

    def get(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif "/login" in (response.url or "") and not url.startswith("/login"):
                response.failure("redirected to log-in")
            elif "系统内部错误" in (response.text or "")[:6000]:
                response.failure("error page")
            else:
                response.success()


class Staff(_Pages, FastHttpUser):
    """An office clerk, a department admin or an officer at work: logs in once, then reads."""

    weight = PLAN["staff_weight"]
    wait_time = between(*WAIT)

    def on_start(self) -> None:
        account = next(_accounts)
        self.account = account
        dept = account["department_id"]
        self.office = account["role"] == "office"
        key = "office" if self.office else str(dept)
        self.view = PLAN["views"][key]
        page = self.client.get("/login", name="登录页")
        match = CSRF.search(page.text or "")
        token = (match.group(1) or match.group(2)) if match else ""
        with self.client.post("/login", name="登录（POST）", catch_response=True,
                              data={"csrf_token": token, "username": account["username"],
                                    "password": PLAN["password"]}) as response:
            if response.status_code != 200 or "/login" in (response.url or ""):
                response.failure(f"log-in failed for {account['username']}: {response.status_code}")
                self.environment.runner.quit()
            else:
                response.success()
        _state["logged_in"] += 1
        _maybe_start(self.environment)

    # -- the workbench ----------------------------------------------------------------------------------
    @task(8)
    def workbench(self):
        self.get("/", "工作台 /")

    # -- the enterprise directory (100,000 rows) -------------------------------------------------------------
    @task(6)
    def subjects_first_page(self):
        self.get("/subjects", "名录：列表第1页")

    @task(8)
    def subjects_filtered(self):
        f = PLAN["filters"]
        params = {}
        for name in random.sample(["region", "industry", "category", "risk_class", "status"], random.randint(1, 3)):
            params[name] = _choice(f[name])
        if random.random() < 0.3:
            params["page"] = random.randint(2, 5)
        self.get("/subjects?" + urlencode(params), "名录：筛选")

    @task(5)
    def subjects_search_name(self):
        self.get(f"/subjects?q={quote(_choice(PLAN['name_fragments']))}", "名录：名称/地址搜索")

    @task(2)
    def subjects_search_code(self):
        self.get(f"/subjects?q={_choice(PLAN['credit_codes'])}", "名录：信用代码搜索")

    @task(3)
    def subjects_deep_page(self):
        self.get(f"/subjects?page={random.randint(2, PLAN['subject_pages'])}", "名录：翻页（任意页）")

    @task(10)
    def subject_detail(self):
        pool = PLAN["drawn_subject_ids"] if random.random() < 0.3 else PLAN["subject_ids"]
        self.get(f"/subjects/{_choice(pool)}", "名录：企业详情")

    # -- inspectors and items --------------------------------------------------------------------------------
    @task(4)
    def inspectors(self):
        q = "?state=drawable" if random.random() < 0.3 else ""
        self.get(f"/inspectors{q}", "执法人员列表")

    @task(2)
    def inspector_detail(self):
        if ids := self.view["inspector_ids"]:
            self.get(f"/inspectors/{_choice(ids)}", "执法人员详情")

    @task(4)
    def items(self):
        self.get("/items/", "事项清单")

    @task(2)
    def item_detail(self):
        if ids := self.view["item_ids"]:
            self.get(f"/items/{_choice(ids)}", "事项详情")

    # -- campaigns ---------------------------------------------------------------------------------------------
    @task(4)
    def campaigns(self):
        self.get("/campaigns/", "联合抽查列表")

    @task(6)
    def campaign_detail(self):
        if c := self._campaign():
            self.get(f"/campaigns/{c['id']}", "联合抽查详情")

    @task(3)
    def campaign_subjects(self):
        if (c := self._campaign(drawn=True)) and c["subject_pages"]:
            self.get(f"/campaigns/{c['id']}/subjects?page={random.randint(1, c['subject_pages'])}",
                     "联合抽查：检查对象")

    @task(3)
    def campaign_teams(self):
        if (c := self._campaign(teamed=True)) and c["team_pages"]:
            self.get(f"/campaigns/{c['id']}/teams?page={random.randint(1, c['team_pages'])}", "联合抽查：检查组")

    @task(6)
    def record(self):
        if rec := _choice(self.view["records"]):
            self.get(f"/campaigns/{rec[0]}/records/{rec[1]}", "一企一表")

    # -- results -----------------------------------------------------------------------------------------------
    @task(4)
    def results(self):
        r = random.random()
        query = "" if r < 0.6 else ("?status=" + quote(_choice(PLAN["record_statuses"])) if r < 0.85 else "?overdue=1")
        self.get(f"/results/{query}", "检查结果列表")

    @task(5)
    def result_detail(self):
        if ids := self.view["result_ids"]:
            self.get(f"/results/{_choice(ids)}", "检查结果详情")

    def _campaign(self, drawn=False, teamed=False):
        pool = [c for c in self.view["campaigns"] if (not drawn or c["subject_pages"])
                and (not teamed or c["team_pages"])]
        # the finished campaign is the one people look at most
        finished = [c for c in pool if c["status"] == "finished"]
        if finished and random.random() < 0.75:
            return _choice(finished)
        return _choice(pool)


class Public(_Pages, FastHttpUser):
    """A member of the public on the disclosure pages (no log-in)."""

    weight = PLAN["public_weight"]
    wait_time = between(*WAIT)

    @task(3)
    def index(self):
        self.get("/public/", "公开：首页")

    @task(3)
    def items(self):
        dept = _choice(PLAN["department_ids"]) if random.random() < 0.5 else None
        self.get("/public/items" + (f"?department={dept}" if dept else ""), "公开：事项清单")

    @task(2)
    def campaigns(self):
        self.get("/public/campaigns", "公开：抽查计划")

    @task(3)
    def campaign(self):
        if c := _choice(PLAN["public_campaigns"]):
            page = random.randint(1, max(1, c["pages"]))
            self.get(f"/public/campaigns/{c['id']}?page={page}", "公开：抽查详情")

    @task(4)
    def results(self):
        q = f"?q={quote(_choice(PLAN['name_fragments']))}" if random.random() < 0.3 else ""
        self.get(f"/public/results{q}", "公开：结果公示")
