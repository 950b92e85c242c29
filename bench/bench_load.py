"""Load test: 50 users for 2 minutes against the production set-up (gunicorn + PostgreSQL) with 100,000 enterprises.

Run by hand, one command (as root, like `run.py test`; PostgreSQL runs as the `postgres` user):

    .venv/bin/python bench/bench_load.py              # 50 users, 120 s, gunicorn: one worker per core × 8 threads
    .venv/bin/python bench/bench_load.py --server waitress --threads 8,16 --profile --save /tmp/load.json
    .venv/bin/python bench/bench_load.py --report /tmp/load.json  # print a saved run again

What it does, all on 127.0.0.1, and everything it started is stopped at the end (try/finally), temp dirs removed:
1. starts a private PostgreSQL (Debian's, /usr/lib/postgresql/*/bin) on --pg-port (54400), data under /tmp;
2. `flask --app coordinator init-db` and `seed-demo` against it (the demo county with its finished 2024
   campaign), then imports 97,000 generated enterprises (bench.bench_directory.make_file through the normal
   SubjectImporter), so the directory holds 100,000; VACUUM ANALYZE;
3. for each --threads value: starts the server as the README's Production section does —
   `gunicorn --workers W --threads N "coordinator:create_app()"` (W = --workers, one per core by default), or
   with --server waitress `waitress-serve --threads=N --call coordinator:create_app` — with DATABASE_URL,
   SECRET_KEY and DB_POOL_SIZE=N set, and runs locust headless with bench/load_locustfile.py: 45 staff
   users log in once each at start (office, yjj_admin, yjj_officer, scj_admin … password Demo2024; log-in is
   deliberately slow and not part of the figures) and 5 anonymous visitors read /public/… (left out when it
   answers 404). Every user then clicks a weighted, read-only mix of pages with a think time (default 1–3 s).
   The clock starts when every user has logged in and runs --duration seconds; locust then stops itself
   (its own -t is only a safety net, and the script kills it if it still overruns);
4. prints per page and overall: requests, failures, median, p95, p99, max (exact, from every request's own
   time); the load average; the CPU seconds used by the server, PostgreSQL, locust and by everything else on
   the machine (a shared machine makes every figure pessimistic); new PostgreSQL connections; with --profile
   a py-spy profile (wall clock, idle threads included, so time waiting on the database counts) of the
   server's processes attributed to the Flask views; and each page once more alone, in-process, with its
   number of SQL statements and time in SQL.
Exit status 1 when any request failed or any page's p95 is over 300 ms.

Locust is not a project dependency: when it is missing this script runs `pip install locust` into the
interpreter it runs under (the project's .venv) and does not touch pyproject.toml. py-spy is used for --profile.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
LOCUSTFILE = ROOT / "bench" / "load_locustfile.py"
DEMO_ROWS = 3_000
TARGET_P95_MS = 300.0


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


# ---- PostgreSQL on loopback, private to this run --------------------------------------------------------------


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        raise SystemExit("需要 PostgreSQL（Debian: apt-get install postgresql）")
    return found[-1].parent


def _as_postgres(args: list) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *map(str, args)] if os.geteuid() == 0 else list(map(str, args))


def _wait_port(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"127.0.0.1:{port} did not open within {seconds:.0f} s")


def start_postgres(tmp: Path, port: int):
    pg_bin = _pg_bin()
    data = tmp / "pg"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    subprocess.run(_as_postgres([pg_bin / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                 "--locale=C.UTF-8"]), check=True, stdout=subprocess.DEVNULL)
    # Production-like settings except durability (fsync off only makes the set-up import faster; the test reads).
    options = (f"-p {port} -c listen_addresses=127.0.0.1 -k {data} -c fsync=off -c max_connections=100 "
               f"-c shared_buffers=256MB")
    subprocess.run(_as_postgres([pg_bin / "pg_ctl", "-D", data, "-o", options, "-l", data / "server.log", "-w",
                                 "start"]), check=True, stdout=subprocess.DEVNULL)

    def stop() -> None:
        subprocess.run(_as_postgres([pg_bin / "pg_ctl", "-D", data, "-m", "fast", "stop"]), check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    try:
        _wait_port(port, 20)
        subprocess.run(_as_postgres([pg_bin / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "postgres",
                                     "liancha"]), check=True)
    except BaseException:
        stop()
        raise
    return f"postgresql://postgres@127.0.0.1:{port}/liancha", stop


# ---- the data: demo county + 97,000 enterprises -------------------------------------------------------------------


IMPORT_CODE = """
import sys, time
from coordinator import create_app
from coordinator.directories.importers import SubjectImporter
from coordinator.excel.importing import run_import
app = create_app()
with app.app_context():
    start = time.perf_counter()
    report = run_import(SubjectImporter(), sys.argv[1], dry_run=False)
    print(f"{time.perf_counter() - start:.1f} s，{report.summary()}")
"""


def build_data(env: dict, tmp: Path, extra: int) -> None:
    from bench.bench_directory import make_file

    flask = [str(BIN / "flask"), "--app", "coordinator"]
    say("init-db + seed-demo")
    subprocess.run([*flask, "init-db"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    path = tmp / "subjects.xlsx"
    say(f"生成并导入 {extra:,} 户基准企业")
    make_file(path, extra)
    out = subprocess.run([sys.executable, "-c", IMPORT_CODE, str(path)], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    say(f"导入：{out}")
    path.unlink()
    subprocess.run(_as_postgres([_pg_bin() / "psql", "-q", "-h", "127.0.0.1", "-p", env["LOAD_PG_PORT"], "-U", "postgres",
                                 "-d", "liancha", "-c", "VACUUM ANALYZE"]), check=True)


def write_plan(path: str) -> None:
    """Runs in a child process with DATABASE_URL set: what exists, and which account may see what."""
    import sqlalchemy as sa

    from coordinator import create_app
    from coordinator.auth.models import User
    from coordinator.campaigns.models import Campaign, CampaignSubject
    from coordinator.demo import DEMO_PASSWORD
    from coordinator.directories.models import Inspector, Subject
    from coordinator.extensions import db
    from coordinator.items.models import Item
    from coordinator.results.models import InspectionRecord
    from coordinator.states import CampaignStatus, DrawnStatus, RecordStatus

    rng = random.Random(20261122)
    app = create_app()
    with app.app_context():
        s = db.session
        users = s.scalars(sa.select(User).where(User.active).order_by(User.id)).all()
        office = [u for u in users if u.role == "office"][:1]
        others = [u for u in users if u.role != "office"]
        ordered = []
        for n, user in enumerate(others):  # office every fifth account: ~1 in 4 simulated staff users
            if n % 4 == 0:
                ordered.extend(office)
            ordered.append(user)
        accounts = [{"username": u.username, "role": u.role, "department_id": u.department_id} for u in ordered]

        subject_ids = s.scalars(sa.select(Subject.id)).all()
        count = len(subject_ids)
        sample = rng.sample(subject_ids, min(5000, count))
        names = s.scalars(sa.select(Subject.name).where(Subject.id.in_(sample[:400]))).all()
        fragments = []
        for name in names:
            size = rng.randint(2, 4)
            start = rng.randint(0, max(0, len(name) - size))
            fragments.append(name[start:start + size])
        fragments += ["加油站", "化工", "超市", "烟花", "人民路", "基准0123", "城关镇"]
        codes = s.scalars(sa.select(Subject.credit_code).where(Subject.id.in_(sample[:200]))).all()
        codes += [c[:10] for c in codes[:40]]

        campaigns = s.scalars(sa.select(Campaign).order_by(Campaign.id)).all()
        info = {}
        for c in campaigns:
            total = s.scalar(sa.select(sa.func.count()).where(CampaignSubject.campaign_id == c.id)) or 0
            active = s.scalar(sa.select(sa.func.count()).where(CampaignSubject.campaign_id == c.id,
                                                               CampaignSubject.status == DrawnStatus.ACTIVE)) or 0
            teamed = c.reached(CampaignStatus.TEAMED)
            info[c.id] = {"id": c.id, "status": c.status, "subject_pages": math.ceil(total / 100),
                          "team_pages": math.ceil(active / 50) if teamed else 0}
        css = s.scalars(sa.select(CampaignSubject).where(CampaignSubject.status == DrawnStatus.ACTIVE)).all()
        records = s.scalars(sa.select(InspectionRecord)).all()

        def view(department_id):
            office_view = department_id is None
            mine = [c for c in campaigns if office_view or c.campaign_department(department_id)]
            return {
                "campaigns": [info[c.id] for c in mine],
                "records": [(cs.campaign_id, cs.id) for cs in css
                            if info[cs.campaign_id]["team_pages"] and (office_view or any(
                                c.id == cs.campaign_id for c in mine)) and (
                                office_view or department_id in cs.department_ids
                                or department_id == cs.campaign.lead_department_id)],
                "result_ids": [r.id for r in records if office_view or department_id in
                               {p.department_id for p in r.department_results}
                               or department_id == r.campaign_subject.campaign.lead_department_id],
                "inspector_ids": s.scalars(sa.select(Inspector.id).where(
                    sa.true() if office_view else Inspector.department_id == department_id)).all(),
                "item_ids": s.scalars(sa.select(Item.id).where(
                    sa.true() if office_view else Item.department_id == department_id)).all(),
            }

        views = {"office": view(None)}
        for department_id in {u.department_id for u in others}:
            views[str(department_id)] = view(department_id)

        public_campaigns = []
        try:
            from coordinator.public import services as public

            for c in campaigns:
                if public.is_visible(c):
                    drawn = 0
                    if c.reached(CampaignStatus.DRAWN):
                        drawn = s.scalar(sa.select(sa.func.count()).select_from(public.drawn(c).subquery()))
                    public_campaigns.append({"id": c.id, "pages": math.ceil(drawn / 20)})
        except ImportError:
            pass

        def distinct(column):
            return [v for v in s.scalars(sa.select(column).distinct().order_by(column)) if v]

        plan = {
            "password": DEMO_PASSWORD, "accounts": accounts, "views": views,
            "subject_count": count, "subject_pages": math.ceil(count / app.config["PAGE_SIZE"]),
            "subject_ids": sample,
            "drawn_subject_ids": sorted({cs.subject_id for cs in css}),
            "name_fragments": fragments, "credit_codes": codes,
            "filters": {"region": distinct(Subject.region), "industry": distinct(Subject.industry),
                        "category": distinct(Subject.category), "risk_class": ["A", "B", "C", "D", "未分类"],
                        "status": distinct(Subject.status)},
            "record_statuses": [s.value for s in RecordStatus],
            "department_ids": sorted({u.department_id for u in others}),
            "public_campaigns": public_campaigns,
            "staff_weight": 9, "public_weight": 1,
        }
    Path(path).write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")


QUERY_CODE = """
import json, statistics, sys, time
import sqlalchemy as sa
from coordinator import create_app
from coordinator.extensions import db
from coordinator.states import CampaignStatus, DrawnStatus
plan = json.load(open(sys.argv[1], encoding="utf-8"))
app = create_app({"WTF_CSRF_ENABLED": False})
counter = {"n": 0, "ms": 0.0}
with app.app_context():
    engine = db.engine
@sa.event.listens_for(engine, "before_cursor_execute")
def before(conn, cursor, statement, parameters, context, executemany):
    conn.info["t0"] = time.perf_counter()
@sa.event.listens_for(engine, "after_cursor_execute")
def after(conn, cursor, statement, parameters, context, executemany):
    counter["n"] += 1
    counter["ms"] += (time.perf_counter() - conn.info.pop("t0")) * 1000
client = app.test_client()
response = client.post("/login", data={"username": "office", "password": plan["password"]})
assert response.status_code == 302, response.status_code
rows = []
for name, url in json.loads(sys.argv[2]):
    client.get(url)  # warm: templates compiled, caches filled
    runs = []
    for _ in range(5):
        counter.update(n=0, ms=0.0)
        start = time.perf_counter()
        response = client.get(url)
        runs.append(((time.perf_counter() - start) * 1000, counter["n"], counter["ms"], response.status_code))
    runs.sort()
    wall, n, sql, status = runs[len(runs) // 2]
    rows.append((name, url, status, n, sql, wall))
print(json.dumps(rows, ensure_ascii=False))
"""


def representative_urls(plan: dict, public: bool) -> list[tuple[str, str]]:
    """One typical URL per page of the mix, as the office sees it (the widest view)."""
    from urllib.parse import quote

    office = plan["views"]["office"]
    finished = next((c for c in office["campaigns"] if c["status"] == "finished"), office["campaigns"][0])
    record = next(r for r in office["records"] if r[0] == finished["id"])
    urls = [
        ("工作台 /", "/"), ("名录：列表第1页", "/subjects"),
        ("名录：筛选", "/subjects?region=%E5%9F%8E%E5%85%B3%E9%95%87&risk_class=C"),
        ("名录：名称/地址搜索", "/subjects?q=" + quote("加油站")),
        ("名录：信用代码搜索", "/subjects?q=" + plan["credit_codes"][0]),
        ("名录：翻页（任意页）", f"/subjects?page={plan['subject_pages'] // 2}"),
        ("名录：企业详情", f"/subjects/{plan['drawn_subject_ids'][0]}"),
        ("执法人员列表", "/inspectors"), ("执法人员详情", f"/inspectors/{office['inspector_ids'][0]}"),
        ("事项清单", "/items/"), ("事项详情", f"/items/{office['item_ids'][0]}"),
        ("联合抽查列表", "/campaigns/"), ("联合抽查详情", f"/campaigns/{finished['id']}"),
        ("联合抽查：检查对象", f"/campaigns/{finished['id']}/subjects?page=1"),
        ("联合抽查：检查组", f"/campaigns/{finished['id']}/teams?page=1"),
        ("一企一表", f"/campaigns/{record[0]}/records/{record[1]}"),
        ("检查结果列表", "/results/"), ("检查结果详情", f"/results/{office['result_ids'][0]}"),
    ]
    for c in office["campaigns"]:
        if c["id"] != finished["id"]:
            urls.append((f"联合抽查详情（{c['status']}）", f"/campaigns/{c['id']}"))
    if public:
        urls += [("公开：首页", "/public/"), ("公开：事项清单", "/public/items"), ("公开：抽查计划", "/public/campaigns"),
                 ("公开：结果公示", "/public/results")]
        if plan["public_campaigns"]:
            urls.append(("公开：抽查详情", f"/public/campaigns/{plan['public_campaigns'][0]['id']}"))
    return urls


def query_counts(env: dict, tmp: Path, public: bool) -> list:
    """Each page once more, alone, in-process: SQL statements, time in SQL, wall time (median of 5)."""
    plan = json.loads((tmp / "plan.json").read_text(encoding="utf-8"))
    urls = representative_urls(plan, public)
    out = subprocess.run([sys.executable, "-c", QUERY_CODE, str(tmp / "plan.json"), json.dumps(urls)], cwd=ROOT,
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def query_lines(rows: list) -> list[str]:
    lines = ["| 页面（办公室账号） | URL | 状态 | SQL 语句数 | SQL 时间 (ms) | 服务端总时间 (ms) |",
             "|---|---|---:|---:|---:|---:|"]
    for name, url, status, n, sql, wall in sorted(rows, key=lambda r: -r[5]):
        lines.append(f"| {name} | `{url}` | {status} | {n} | {sql:.0f} | {wall:.0f} |")
    return lines


# ---- one run: the server + locust (+ py-spy) ------------------------------------------------------------------


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _cpu_seconds(pid: int, children: bool = False) -> float:
    """utime + stime of a process (and, with children, of its reaped children), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def _machine_cpu() -> tuple[float, float]:
    """CPU seconds since boot: (busy: every process, the kernel, and what the hypervisor took; of that, taken by
    the hypervisor for other virtual machines while this one had work — "steal", large and variable on a shared
    host, and partly booked to the processes that were running)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9])
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq + steal) / tick, steal / tick


def _rusage_seconds(usage) -> float:
    return usage.ru_utime + usage.ru_stime


def _tree_cpu(root: int) -> float:
    """A process with its reaped children, plus every live child (PostgreSQL's backends, gunicorn's workers)."""
    total = _cpu_seconds(root, children=True)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == root:
                total += _cpu_seconds(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return total


def _postgres_cpu(data: Path) -> float:
    try:
        return _tree_cpu(int((data / "postmaster.pid").read_text().split()[0]))
    except (OSError, ValueError, IndexError):
        return 0.0


def _pg_sessions(env: dict) -> int:
    """Sessions (connections) PostgreSQL has opened on the benchmark database so far."""
    out = subprocess.run(_as_postgres([_pg_bin() / "psql", "-qAt", "-h", "127.0.0.1", "-p", env["LOAD_PG_PORT"],
                                       "-U", "postgres", "-d", "liancha", "-c",
                                       "SELECT sessions FROM pg_stat_database WHERE datname = 'liancha'"]),
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip() or 0)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the values at or below it."""
    if not sorted_values:
        return float("nan")
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def server_command(args, threads: int) -> tuple[list[str], str]:
    """The production server as the README runs it, and how the figures name it."""
    if args.server == "waitress":
        return ([str(BIN / "waitress-serve"), "--host=127.0.0.1", f"--port={args.http_port}", f"--threads={threads}",
                 "--call", args.call], f"waitress --threads={threads}")
    return ([str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{args.http_port}", "--workers", str(args.workers),
             "--threads", str(threads), f"{args.call}()"], f"gunicorn --workers {args.workers} --threads {threads}")


def run_once(env: dict, tmp: Path, threads: int, args) -> dict:
    tag = f"t{threads}"
    with contextlib.ExitStack() as logs:
        server_log = logs.enter_context(open(tmp / f"server-{tag}.log", "w"))
        locust_log = logs.enter_context(open(tmp / f"locust-{tag}.log", "w"))
        return _run_once(env, tmp, threads, args, tag, server_log, locust_log)


def _run_once(env: dict, tmp: Path, threads: int, args, tag: str, server_log, locust_log) -> dict:
    command, label = server_command(args, threads)
    server = subprocess.Popen(command, cwd=ROOT, env={**env, "DB_POOL_SIZE": str(threads)}, stdout=server_log,
                              stderr=subprocess.STDOUT)
    profiler = locust = None
    try:
        _wait_port(args.http_port, 120)
        base = f"http://127.0.0.1:{args.http_port}"
        if _get(base + "/login") != 200:
            raise RuntimeError("the server does not answer /login with 200")
        public = _get(base + "/public/") == 200
        say(f"{label} (pid {server.pid}) 已启动；公开页面：{'有' if public else '没有（404，跳过）'}")
        out = tmp / f"samples-{tag}.json"
        ramp = math.ceil(args.users / args.spawn_rate)
        # The locustfile stops itself --duration seconds after the last log-in; -t is only the safety net.
        run_time = args.duration + ramp + 180
        locust_env = {**env, "LIANCHA_LOAD_PLAN": str(tmp / "plan.json"), "LIANCHA_LOAD_OUT": str(out),
                      "LIANCHA_LOAD_WAIT": args.wait, "LIANCHA_LOAD_DURATION": str(args.duration)}
        command = [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--host", base,
                   "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{run_time}s", "--stop-timeout", "10",
                   "--only-summary", "--loglevel", "WARNING", "--skip-log-setup"]
        if not public:
            command.append("Staff")
        say(f"locust：{args.users} 用户，每秒启动 {args.spawn_rate} 个，计时 {args.duration} s（思考时间 {args.wait} s）")
        load_before = os.getloadavg()
        cpu_before = (_tree_cpu(server.pid), _postgres_cpu(tmp / "pg"), time.monotonic(), *_machine_cpu())
        sessions_before = _pg_sessions(env)
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        locust = subprocess.Popen(command, cwd=ROOT, env=locust_env, stdout=subprocess.DEVNULL, stderr=locust_log)
        if args.profile:
            started = Path(str(out) + ".started")
            while not started.exists() and locust.poll() is None:
                time.sleep(0.5)
            profiler = subprocess.Popen(
                [str(BIN / "py-spy"), "record", "-p", str(server.pid), "--subprocesses", "-d", str(max(10, args.duration - 5)),
                 "-r", "50", "--idle", "--nonblocking", "-f", "raw", "-o", str(tmp / f"profile-{tag}.txt")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            locust.wait(timeout=run_time + 90)
        except subprocess.TimeoutExpired:
            locust.kill()
            raise RuntimeError("locust overran its time and was killed") from None
        load_after = os.getloadavg()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = {"server": _tree_cpu(server.pid) - cpu_before[0],
               "postgres": _postgres_cpu(tmp / "pg") - cpu_before[1],
               "locust": _rusage_seconds(children) - _rusage_seconds(children_before),  # + py-spy when profiling
               "wall": time.monotonic() - cpu_before[2], "sessions": _pg_sessions(env) - sessions_before,
               "machine": _machine_cpu()[0] - cpu_before[3], "steal": _machine_cpu()[1] - cpu_before[4]}
        if profiler:
            profiler.wait(timeout=120)
        if not out.exists():
            raise RuntimeError(f"locust wrote no samples; see {tmp / f'locust-{tag}.log'}:\n"
                               + (tmp / f"locust-{tag}.log").read_text()[-3000:])
        data = json.loads(out.read_text(encoding="utf-8"))
        server_log.flush()
        queue_warnings = (tmp / f"server-{tag}.log").read_text(errors="replace").count("Task queue depth")
        result = {"threads": threads, "server": label, "data": data, "load": (load_before, load_after), "public": public,
                  "queue_warnings": queue_warnings, "cpu": cpu}
        if args.profile and (tmp / f"profile-{tag}.txt").exists():
            result["profile"] = summarise_profile(tmp / f"profile-{tag}.txt")
        return result
    finally:
        for process in (profiler, locust):
            if process and process.poll() is None:
                process.kill()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# ---- figures -------------------------------------------------------------------------------------------------------


def table(result: dict) -> tuple[list[str], list[tuple[str, float]]]:
    samples = result["data"]["samples"]
    start = next((s[1] for s in samples if s[0] == "__start__"), None)
    rows = [s for s in samples if s[0] != "__start__"]
    window = result["data"]["end"] - start if start else float("nan")
    by_page: dict[str, list] = defaultdict(list)
    for name, ms, status, error in rows:
        by_page[name].append((ms, status, error))
    lines = ["| 页面 | 请求数 | 失败 | 中位数 (ms) | p95 (ms) | p99 (ms) | 最大 (ms) |", "|---|---:|---:|---:|---:|---:|---:|"]
    slow = []

    def line(name, entries):
        times = sorted(e[0] for e in entries)
        failures = sum(1 for e in entries if e[2] or e[1] != 200)
        p95 = percentile(times, 0.95)
        lines.append(f"| {name} | {len(times):,} | {failures} | {percentile(times, 0.5):.0f} | {p95:.0f} | "
                     f"{percentile(times, 0.99):.0f} | {times[-1]:.0f} |")
        return p95

    for name in sorted(by_page, key=lambda n: -percentile(sorted(e[0] for e in by_page[n]), 0.95)):
        p95 = line(name, by_page[name])
        if p95 > TARGET_P95_MS:
            slow.append((name, p95))
    line("**全部**", [(ms, status, error) for _, ms, status, error in rows])
    logins = result["data"]["logins"]
    login_times = sorted(entry[1] for entry in logins if entry[0] == "登录（POST）")
    errors = Counter(e[3] or f"HTTP {e[2]}" for e in rows if e[3] or e[2] != 200)
    lines.append("")
    lines.append(f"计时窗口 {window:.0f} s，{len(rows) / window:.1f} 请求/秒；不计入的登录 {len(login_times)} 次"
                 f"（中位数 {percentile(login_times, 0.5):.0f} ms，失败 "
                 f"{sum(1 for entry in logins if entry[3] or entry[2] not in (200, 302))}）；"
                 f"负载 (1/5/15 分钟) 开始 {' / '.join(f'{x:.2f}' for x in result['load'][0])}，"
                 f"结束 {' / '.join(f'{x:.2f}' for x in result['load'][1])}"
                 + (f"；waitress “Task queue depth” 警告 {result['queue_warnings']} 次。"
                    if "waitress" in result["server"] else "。"))
    if cpu := result.get("cpu"):
        lines.append(f"locust 运行全程（含登录）{cpu['wall']:.0f} s 内 CPU 时间：服务器 {cpu['server']:.0f} s，"
                     f"PostgreSQL {cpu['postgres']:.0f} s，locust{'+py-spy' if result.get('profile') else ''} "
                     f"{cpu['locust']:.0f} s（机器共 {os.cpu_count()} 核 × {cpu['wall']:.0f} s = "
                     f"{os.cpu_count() * cpu['wall']:.0f} s，其间整机忙 {cpu['machine']:.0f} s，其中本测试以外 "
                     f"{cpu['machine'] - cpu['server'] - cpu['postgres'] - cpu['locust']:.0f} s；"
                     f"宿主机占用（steal）{cpu.get('steal', float('nan')):.0f} s）；"
                     f"PostgreSQL 新建连接 {cpu['sessions']:,} 次。")
    if errors:
        lines.append("失败：" + "；".join(f"{k} ×{v}" for k, v in errors.most_common(10)))
    return lines, slow


KINDS = ("数据库（psycopg）", "模板中的延迟加载 SQL", "新建数据库连接", "等待连接池", "SQLAlchemy（ORM）", "模板渲染",
         "其他 Python")


def _frame(frame: str) -> str:
    """py-spy's "func (path/to/file.py:12)" → "func file.py:12"."""
    name, _, where = frame.partition(" (")
    return f"{name} {where.rstrip(')').split('/')[-1]}".strip()


def _view_of(frames: list[str]) -> str | None:
    """The Flask view a stack is in (the frame Flask dispatches to, past the access decorators), or the
    before-request hook it is in; None for idle threads and waitress's own work."""
    for n, frame in enumerate(frames):
        name = frame.split(" (")[0].split(".")[-1]  # py-spy qualifies methods: Flask.dispatch_request
        if name in ("dispatch_request", "preprocess_request") and "flask/" in frame:
            inner = [f for f in frames[n + 1:]
                     if f.split(" (")[0].split(".")[-1] not in ("wrapped", "decorated_view", "<lambda>")
                     and "flask/" not in f and "werkzeug/" not in f]
            if not inner:
                return None
            where = inner[0].split(" (")[-1].split(":")[0].split("coordinator/")[-1]
            label = f"{inner[0].split(' (')[0]} ({where})"
            return label if name == "dispatch_request" else f"请求前钩子 {label}"
    return None


def summarise_profile(path: Path) -> dict:
    """py-spy raw (collapsed) stacks → per view function: samples, and where the time went."""
    views: dict[str, Counter] = defaultdict(Counter)
    hot: dict[str, Counter] = defaultdict(Counter)
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = raw.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        view = _view_of(frames)
        if view is None:
            continue
        n = int(count)
        in_template = "render_template" in stack or "jinja2/" in stack or ".html" in stack
        if "sqlalchemy/pool" in stack and "_do_get" in stack:
            kind = "新建数据库连接" if "psycopg" in stack else "等待连接池"
        elif "psycopg" in stack:
            kind = "模板中的延迟加载 SQL" if in_template else "数据库（psycopg）"
        elif in_template:
            kind = "模板渲染"
        elif "sqlalchemy" in stack:
            kind = "SQLAlchemy（ORM）"
        else:
            kind = "其他 Python"
        views[view]["__total__"] += n
        views[view][kind] += n
        # the deepest frame inside the project (app code or a template): where to look first
        own = [f for f in frames if "coordinator/" in f or ".html" in f]
        if own:
            hot[view][_frame(own[-1])] += n
    return {"views": {v: dict(c) for v, c in views.items()},
            "hot": {v: c.most_common(6) for v, c in hot.items()}}


def profile_lines(profile: dict) -> list[str]:
    lines = ["| 视图 | 样本（占全部） | " + " | ".join(KINDS) + " |", "|---|---:|" + "---:|" * len(KINDS)]
    total = sum(c["__total__"] for c in profile["views"].values())
    ranked = sorted(profile["views"].items(), key=lambda kv: -kv[1]["__total__"])
    for view, c in ranked[:15]:
        n = c["__total__"]
        lines.append(f"| {view} | {n} ({100 * n / total:.0f} %) | "
                     + " | ".join(f"{100 * c.get(k, 0) / n:.0f} %" for k in KINDS) + " |")
    lines.append("")
    lines.append("各视图样本最多的项目内最深一帧（函数 文件:行；模板行号是 Jinja 编译后的行号）：")
    lines.append("")
    for view, _count in ranked[:8]:
        lines.append(f"- {view}：" + "；".join(f"{frame} ×{n}" for frame, n in profile["hot"].get(view, [])))
    return lines


# ---- main ------------------------------------------------------------------------------------------------------------


def ensure_locust() -> None:
    if not (BIN / "locust").exists():
        say("安装 locust（仅本虚拟环境，非项目依赖）")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "locust"], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=120, help="measured seconds, after all users are running")
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--wait", default="1,3", help="think time between clicks, seconds MIN,MAX")
    parser.add_argument("--server", choices=("gunicorn", "waitress"), default="gunicorn")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="gunicorn worker processes")
    parser.add_argument("--threads", default="8", help="threads per server process; several to compare, e.g. 8,16")
    parser.add_argument("--extra", type=int, default=100_000 - DEMO_ROWS, help="generated enterprises added")
    parser.add_argument("--pg-port", type=int, default=54400)
    parser.add_argument("--http-port", type=int, default=54480)
    parser.add_argument("--profile", action="store_true", help="py-spy the server's processes during the run")
    parser.add_argument("--call", default="coordinator:create_app",
                        help="app factory the server calls (to compare a variant; on PYTHONPATH)")
    parser.add_argument("--save", metavar="FILE", help="also keep the raw samples (JSON) in FILE")
    parser.add_argument("--report", metavar="FILE", help="only print the tables of a run saved with --save")
    args = parser.parse_args()
    if args.report:
        saved = json.loads(Path(args.report).read_text(encoding="utf-8"))
        return report(saved["results"], saved["args"], saved.get("queries", []))
    if args.duration > 900 or args.users > 500:
        parser.error("bounded on purpose: at most 900 s and 500 users")
    ensure_locust()
    tmp = Path(tempfile.mkdtemp(prefix="liancha-load-"))
    tmp.chmod(0o755)  # the postgres user must reach its data directory inside
    stop_pg = None
    results, queries = [], []
    try:
        say(f"PostgreSQL 127.0.0.1:{args.pg_port}（数据在 {tmp}）")
        url, stop_pg = start_postgres(tmp, args.pg_port)
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32),
               "ATTACHMENT_FOLDER": str(tmp / "attachments"), "LOAD_PG_PORT": str(args.pg_port)}
        env.pop("SESSION_COOKIE_SECURE", None)
        build_data(env, tmp, args.extra)
        subprocess.run([sys.executable, __file__, "--write-plan", str(tmp / "plan.json")], cwd=ROOT, env=env,
                       check=True)
        plan = json.loads((tmp / "plan.json").read_text(encoding="utf-8"))
        say(f"名录 {plan['subject_count']:,} 户；模拟账号顺序：{', '.join(a['username'] for a in plan['accounts'])}")
        for threads in (int(t) for t in args.threads.split(",")):
            results.append(run_once(env, tmp, threads, args))
        say("逐页单独计时（无并发）：SQL 语句数与时间")
        queries = query_counts(env, tmp, results[-1]["public"])
    finally:
        if stop_pg:
            stop_pg()
        shutil.rmtree(tmp, ignore_errors=True)
    if args.save:
        Path(args.save).write_text(json.dumps({"results": results, "args": vars(args), "queries": queries},
                                              ensure_ascii=False), encoding="utf-8")
    return report(results, vars(args), queries)


def report(results: list[dict], args: dict, queries: list) -> int:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    print()
    print(f"机器：nproc = {os.cpu_count()}，{cpu}，Python {sys.version.split()[0]}；"
          f"{args['users']} 用户，思考时间 {args['wait']} s，计时 {args['duration']} s")
    worst = []
    for result in results:
        print(f"\n### {result['server']}\n")
        lines, slow = table(result)
        print("\n".join(lines))
        worst.extend((result["server"], *s) for s in slow)
        if "profile" in result:
            print("\npy-spy（--idle，墙钟时间，按视图函数）：\n")
            print("\n".join(profile_lines(result["profile"])))
    if queries:
        print("\n每页单独请求（无并发，进程内 test client，5 次中位数）：\n")
        print("\n".join(query_lines(queries)))
    print()
    if worst:
        print("p95 超过 300 ms 的页面：" + "；".join(f"{t}: {n} {p:.0f} ms" for t, n, p in worst))
    else:
        print("所有页面 p95 均低于 300 ms。")
    failures = sum(1 for r in results for s in r["data"]["samples"] if s[0] != "__start__" and (s[3] or s[2] != 200))
    return 1 if failures or worst else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write-plan":
        write_plan(sys.argv[2])
    else:
        sys.exit(main())
