"""Repeat issue 11's attacks against a local 联查通 and print, finding by finding, what gets through.

Loopback only, and bounded (a few hundred requests, at most 30 at once, files of a few megabytes):

    .venv/bin/python bench/attack.py                      # builds its own demo county in a temp folder
    .venv/bin/python bench/attack.py --url http://127.0.0.1:5000   # a running demo (`python3 run.py start`)

Without --url the script creates a temporary instance (SQLite, its own SECRET_KEY and audit key), runs
`init-db` and `seed-demo` (about a minute), serves it with `flask run` on a free 127.0.0.1 port, attacks it,
tampers with copies of its database to try the audit chain, then stops the server and removes the folder.
With --url it attacks that server over HTTP only (it adds an inspector or two to the demo and leaves the
office's throttle lifted); the audit chain part needs the database and is skipped.
Every log-in uses the demo's accounts and password (Demo2024). Exit status 1 when anything got through.
"""
from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
RESULTS: list[tuple[str, str, bool, str]] = []  # (finding, attempt, got through, detail)


# ---- a small browser over http.client: cookies, CSRF, a chosen loopback source address ------------------


class Browser:
    def __init__(self, base: str, source: str = "127.0.0.1"):
        parts = urlsplit(base)
        self.host, self.port, self.source = parts.hostname, parts.port or 80, source
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=300, source_address=(self.source, 0))
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if content_type:
            headers["Content-Type"] = content_type
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";")[0]
        connection.close()
        return response.status, dict(response.getheaders()), data.decode("utf-8", "replace") if _is_text(data) else data

    def get(self, path: str):
        return self.request("GET", path)

    def token(self, path: str = "/login") -> str:
        _status, _headers, page = self.get(path)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page)
        return match.group(1) if match else ""

    def post(self, path: str, fields: dict | None = None, *, token_from: str = "/", files: dict | None = None):
        fields = {"csrf_token": self.token(token_from), **(fields or {})}
        if files:
            boundary = "----liancha-attack"
            chunks = []
            for name, value in fields.items():
                chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
            for name, (filename, data) in files.items():
                chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                              f'Content-Type: application/octet-stream\r\n\r\n'.encode() + data + b"\r\n")
            chunks.append(f"--{boundary}--\r\n".encode())
            return self.request("POST", path, b"".join(chunks), f"multipart/form-data; boundary={boundary}")
        return self.request("POST", path, urlencode(fields, doseq=True).encode(), "application/x-www-form-urlencoded")

    def log_in(self, username: str, password: str, *, required: bool = False) -> str:
        """The flash message of a failed log-in, or "" when signed in; `required`: stop when it fails."""
        status, headers, page = self.post("/login", {"username": username, "password": password}, token_from="/login")
        if status in (302, 303):
            return ""
        match = re.search(r'role="(?:alert|status)"[^>]*>\s*([^<]+)', page)
        message = match.group(1).strip() if match else f"HTTP {status}"
        if required:
            raise SystemExit(f"{username} cannot sign in ({message}): is this the demo county?")
        return message


def _is_text(data: bytes) -> bool:
    return not data.startswith((b"PK", b"\x89PNG", b"\xff\xd8"))


def report(finding: str, attempt: str, through: bool, detail: str) -> None:
    RESULTS.append((finding, attempt, through, detail))
    print(f"  [{'GOT THROUGH' if through else 'held'}] {attempt}: {detail}", flush=True)


def workbook(path_rows: list[list[str]]) -> bytes:
    from coordinator.excel.writer import write_list

    buffer = io.BytesIO()
    write_list(buffer, "人员", None, path_rows[0], path_rows[1:])
    return buffer.getvalue()


PEOPLE_HEADER = ["姓名", "性别", "所属部门", "执法证件号", "有效期至", "手机"]


# ---- the findings ---------------------------------------------------------------------------------------------


def import_takeover(base: str, password: str) -> None:
    print("1. 跨部门导入接管执法人员", flush=True)
    office = Browser(base, "127.0.0.9")
    office.log_in("office", password, required=True)
    _s, _h, data = office.get("/inspectors/export")
    import pandas as pd

    frame = pd.read_excel(io.BytesIO(data), engine="calamine", header=0, dtype=str)
    victim = frame[(frame["所属单位"] == "市场监督管理局") & frame["执法证号"].notna()].iloc[0]
    admin = Browser(base, "127.0.0.10")
    admin.log_in("yjj_admin", password, required=True)
    upload = workbook([PEOPLE_HEADER, [victim["姓名"], "男", "应急管理局", victim["执法证号"], "2030-12-31", "13912345678"]])
    _s, _h, page = admin.post("/import/inspectors", files={"file": ("people.xlsx", upload)}, token_from="/import/inspectors")
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page)
    if token:
        admin.post("/import/inspectors/confirm", {"token": token.group(1)}, token_from="/import/inspectors")
    _s, _h, data = office.get("/inspectors/export")
    after = pd.read_excel(io.BytesIO(data), engine="calamine", header=0, dtype=str)
    moved = after[after["执法证号"] == victim["执法证号"]]["所属单位"].iloc[0] != "市场监督管理局"
    report("1", f"yjj_admin imports 市场监督管理局's {victim['执法证号']} as its own", moved,
           "the inspector now belongs to 应急管理局" if moved else "refused row: " + (
               re.search(r"已登记在[^<]*", page).group(0) if "已登记在" in page else "not imported"))


def session_revocation(base: str, password: str) -> None:
    print("2. 退出登录后会话是否失效", flush=True)
    for remember in (False, True):
        user = Browser(base, "127.0.0.11")
        fields = {"username": "yjj_officer", "password": password, **({"remember": "y"} if remember else {})}
        user.post("/login", fields, token_from="/login")
        thief = Browser(base, "127.0.0.12")
        thief.cookies = {k: v for k, v in user.cookies.items() if k == ("remember_token" if remember else "session")}
        user.post("/logout")
        status, _h, _p = thief.get("/")
        kind = "“记住我” cookie" if remember else "session cookie"
        report("2", f"a {kind} copied before log-out, used after it", status == 200,
               "still signed in" if status == 200 else f"HTTP {status}: sent to log in")


def throttling(base: str, password: str) -> None:
    print("3. 登录限制：陌生人锁定、并发计数、未知用户名", flush=True)
    stranger = Browser(base, "127.0.0.66")
    answers = [stranger.log_in("office", f"Wrong{n}pw1") for n in range(6)]
    owner = Browser(base, "127.0.0.2")
    refused = owner.log_in("office", password)
    report("3", "6 wrong passwords for office from a stranger's address, then the office from its own desk",
           bool(refused), f"office refused: {refused}" if refused else "the office signs in as usual")
    users = owner.get("/admin/users?q=office")[2]
    office_id = re.search(r"/admin/users/(\d+)/unlock", users)
    if office_id:
        owner.post(f"/admin/users/{office_id.group(1)}/unlock")

    outcomes: list[str] = []
    barrier = threading.Barrier(30)

    def guess(n: int) -> None:
        browser = Browser(base, "127.0.0.77")
        browser.cookies = {}
        token = browser.token("/login")
        barrier.wait()
        status, _h, page = browser.request(
            "POST", "/login", urlencode({"csrf_token": token, "username": "xfj_officer", "password": f"Guess{n}x1"}).encode(),
            "application/x-www-form-urlencoded")
        outcomes.append("checked" if "用户名或密码错误" in page else "throttled")

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    checked = outcomes.count("checked")
    report("3", "30 parallel guesses at xfj_officer from one address", checked > 5,
           f"{checked} real password checks, {outcomes.count('throttled')} throttled (5 allowed)")
    users = owner.get("/admin/users?q=xfj_officer")[2]
    xfj_id = re.search(r"/admin/users/(\d+)/unlock", users)
    if xfj_id:
        owner.post(f"/admin/users/{xfj_id.group(1)}/unlock")

    timings: dict[str, list[float]] = {"hbj_officer": [], "no_such_user": []}
    messages: dict[str, set[str]] = {name: set() for name in timings}
    for n in range(5):
        for name in timings:
            browser = Browser(base, f"127.0.{10 + n}.{20 + len(name)}")
            started = time.perf_counter()
            messages[name].add(browser.log_in(name, "Wrong123x"))
            timings[name].append((time.perf_counter() - started) * 1000)
    known, unknown = (statistics.median(timings[n]) for n in timings)
    differ = messages["hbj_officer"] != messages["no_such_user"] or not 1 / 3 < unknown / known < 3
    report("3", "a real and an unknown user name, wrong password", differ,
           f"answers {'differ' if messages['hbj_officer'] != messages['no_such_user'] else 'identical'}; "
           f"median {known:.0f} ms vs {unknown:.0f} ms (log-in includes a page load)")
    report("3", "the stranger's own address after 6 failures", not any("分钟后再试" in a for a in answers),
           "slowed down: " + answers[-1] if "分钟后再试" in answers[-1] else "never slowed down")


def recusals(base: str, password: str) -> None:
    print("4. 回避原因泄露", flush=True)
    partner = Browser(base, "127.0.0.13")
    partner.log_in("scj_officer", password, required=True)
    _s, _h, page = partner.get("/campaigns/1")
    draws = re.findall(r"/campaigns/1/draws/(\d+)\.json", page)
    office = Browser(base, "127.0.0.9")
    office.log_in("office", password, required=True)
    team_draws = re.findall(r"/campaigns/1/draws/(\d+)\.json", office.get("/campaigns/1")[2])
    for draw_id in team_draws:
        status, _h, body = partner.get(f"/campaigns/1/draws/{draw_id}.json")
        if status != 200:
            continue
        problem = json.loads(body)["input"]
        reasons = [c.get("reason") for c in problem.get("conflicts", []) if c.get("reason")]
        if "inspectors" in problem and "needs" in json.dumps(problem):
            report("4", f"scj_officer downloads teams draw {draw_id}", True,
                   f"{len(problem.get('conflicts', []))} recusals of every department, reasons: {reasons[:2]}")
            return
    teams = partner.get("/campaigns/1/teams")[2]
    report("4", "scj_officer downloads the teams draw of a campaign it takes part in", False,
           f"403 (links offered to it: {len(draws)} of {len(team_draws)} draws); "
           f"recusal reasons on its teams page: {'回避：' in teams and '已回避：' in teams}")


def double_import(base: str, password: str) -> None:
    print("5. 重复确认导入", flush=True)
    admin = Browser(base, "127.0.0.14")
    admin.log_in("yjj_admin", password, required=True)
    name = f"双击测试{int(time.time()) % 100000}"
    upload = workbook([PEOPLE_HEADER, [name, "男", "应急管理局", "", "", ""]])
    _s, _h, page = admin.post("/import/inspectors", files={"file": ("people.xlsx", upload)}, token_from="/import/inspectors")
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    csrf = admin.token("/import/inspectors")
    barrier = threading.Barrier(2)
    pages: list[str] = []

    def confirm() -> None:
        barrier.wait()
        pages.append(admin.request("POST", "/import/inspectors/confirm",
                                   urlencode({"csrf_token": csrf, "token": token}).encode(),
                                   "application/x-www-form-urlencoded")[2])

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    listing = admin.get("/inspectors?" + urlencode({"q": name}))[2]
    count = listing.count(f">{name}<")
    report("5", "two confirms of one upload at once (a double click)", count > 1,
           f"{count} inspector(s) named {name}")


def officer_review(base: str, password: str) -> None:
    print("6. 执法人员审核公示", flush=True)
    officer = Browser(base, "127.0.0.15")
    officer.log_in("yjj_officer", password, required=True)
    listing = officer.get("/results/")[2]
    record = re.search(r"/results/(\d+)", listing)
    status, _h, _p = officer.post(f"/results/{record.group(1)}/review", {"action": "publish"})
    report("6", f"yjj_officer posts a review of record {record.group(1)}", status != 403,
           "403" if status == 403 else f"HTTP {status}: the server took it up (only the record's state may refuse it)")


def audit_chain(base: str, password: str, database: Path | None, env: dict | None) -> None:
    print("7. 审计链与日志", flush=True)
    office = Browser(base, "127.0.0.9")
    office.log_in("office", password, required=True)
    pages = {"user_account": office.get("/audit/?entity=user_account")[2], "request": office.get("/audit/?entity=request")[2]}
    for entity, label in (("user_account", "登录"), ("user_account", "退出登录"), ("request", "下载"),
                          ("request", "拒绝访问")):
        logged = f">{label}<" in pages[entity]
        report("7", f"the audit log shows {label}", not logged, "logged" if logged else "no entry")
    if database is None:
        report("7", "tampering with the database", False, "skipped: needs the database (run without --url)")
        return
    try:
        from coordinator.audit.services import entry_text
    except ImportError:  # a version from before the chain was keyed: its entries hashed this text with SHA-256
        def entry_text(seq, at, user_id, user_name, action, entity, entity_id, changes, prev_hash):
            return json.dumps({"seq": seq, "at": at.isoformat(sep=" "), "user_id": user_id, "user": user_name,
                               "action": action, "entity": entity, "entity_id": entity_id,
                               "changes": json.loads(changes), "prev_hash": prev_hash},
                              sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    from hashlib import sha256

    def sha256_hex(text: str) -> str:
        return sha256(text.encode("utf-8")).hexdigest()

    checkpoint = next(Path(env["AUDIT_CHECKPOINT_DIR"]).glob("*.json"), None)
    attacks = {
        "delete entry 100 and re-hash the rest (as the old code hashed)": lambda db: _delete_and_rehash(db, 100, entry_text,
                                                                                                       sha256_hex),
        "cut the last 50 entries and move the head back": _cut_tail,
        "edit one entry's user name": lambda db: db.execute("UPDATE audit_entry SET user_name='他人' WHERE seq=200"),
    }
    for attempt, tamper in attacks.items():
        copy = Path(env["WORK"]) / "tampered.db"
        shutil.copyfile(database, copy)
        if checkpoint is not None:
            shutil.copyfile(checkpoint, Path(env["WORK"]) / "checkpoint.json")
        with sqlite3.connect(copy) as db:
            tamper(db)
        run = subprocess.run([sys.executable, "-m", "flask", "--app", "coordinator", "audit-verify"], cwd=ROOT,
                             env={**env, "DATABASE_URL": f"sqlite:///{copy}",
                                  "AUDIT_CHECKPOINT": str(Path(env["WORK"]) / "checkpoint.json")},
                             capture_output=True, text=True, timeout=300)
        report("7", attempt, run.returncode == 0, (run.stdout + run.stderr).strip().splitlines()[-1][:150])


def _delete_and_rehash(db, victim: int, entry_text, hasher) -> None:
    rows = db.execute("SELECT seq, at, user_id, user_name, action, entity, entity_id, changes FROM audit_entry "
                      "WHERE seq > ? ORDER BY seq", (victim,)).fetchall()
    prev = db.execute("SELECT hash FROM audit_entry WHERE seq = ?", (victim - 1,)).fetchone()[0]
    db.execute("DELETE FROM audit_entry WHERE seq >= ?", (victim,))
    from datetime import datetime

    seq = victim - 1
    for row in rows:
        seq += 1
        at = datetime.fromisoformat(row[1])
        digest = hasher(entry_text(seq, at, row[2], row[3], row[4], row[5], row[6], row[7], prev))
        db.execute("INSERT INTO audit_entry VALUES (?,?,?,?,?,?,?,?,?,?)", (seq, row[1], *row[2:], prev, digest))
        prev = digest
    db.execute("UPDATE audit_head SET seq = ?, hash = ?", (seq, prev))


def _cut_tail(db) -> None:
    last = db.execute("SELECT max(seq) FROM audit_entry").fetchone()[0]
    keep = last - 50
    db.execute("DELETE FROM audit_entry WHERE seq > ?", (keep,))
    db.execute("UPDATE audit_head SET seq = ?, hash = (SELECT hash FROM audit_entry WHERE seq = ?)", (keep, keep))


def upload_bombs(base: str, password: str) -> None:
    print("8. 压缩炸弹与超大工作表", flush=True)
    office = Browser(base, "127.0.0.16")
    office.log_in("office", password, required=True)
    for attempt, data in (("a workbook whose one cell unpacks to 300 MB", _workbook_with_sheet(_bomb_sheet(300))),
                          ("a workbook of 1,048,576 rows", _workbook_with_sheet(_rows_sheet(1_048_576)))):
        started = time.perf_counter()
        status, _h, page = office.post("/import/subjects", files={"file": ("big.xlsx", data)},
                                       token_from="/import/subjects")
        seconds = time.perf_counter() - started
        limit = re.search(r"[^>]*超过导入上限[^<]*", page)
        report("8", f"{attempt} ({len(data) / 1e6:.1f} MB uploaded)", limit is None,
               f"refused before parsing in {seconds:.1f} s: {limit.group(0).strip()}" if limit
               else f"not refused by a size limit (HTTP {status} after {seconds:.1f} s)")


def _workbook_with_sheet(write_sheet) -> bytes:
    """A real workbook (written by XlsxWriter) whose first sheet is replaced by what `write_sheet` streams."""
    source = zipfile.ZipFile(io.BytesIO(workbook([["单位名称"], ["x"]])))
    buffer = io.BytesIO()
    with source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for member in source.infolist():
            if member.filename == "xl/worksheets/sheet1.xml":
                with archive.open(member.filename, "w", force_zip64=True) as sheet:
                    write_sheet(sheet)
            else:
                archive.writestr(member, source.read(member))
    return buffer.getvalue()


SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet '
              b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')


def _bomb_sheet(megabytes: int):
    def write(sheet) -> None:
        sheet.write(SHEET_HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>')
        block = b" " * (1024 * 1024)
        for _ in range(megabytes):
            sheet.write(block)
        sheet.write(b"</t></is></c></row></sheetData></worksheet>")

    return write


def _rows_sheet(count: int):
    def write(sheet) -> None:
        sheet.write(SHEET_HEAD)
        for n in range(1, count + 1, 1024):
            sheet.write(b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (k, k)
                                 for k in range(n, min(n + 1024, count + 1))))
        sheet.write(b"</sheetData></worksheet>")

    return write


def smaller(base: str, password: str, owned: bool) -> None:
    print("9. 其他：长查询、通配符、公式、缓存", flush=True)
    office = Browser(base, "127.0.0.17")
    office.log_in("office", password, required=True)
    # 60,000 characters: past SQLite's 50,000-byte LIKE pattern, within the 64 KB request line of `flask run`.
    status, _h, _p = office.get("/subjects?q=" + "x" * 60_000)
    report("9", "a search of 60,000 characters", status >= 500, f"HTTP {status}")
    listing = office.get("/admin/users?q=%25")[2]
    shown = len(re.findall(r"/admin/users/\d+\"", listing))
    report("9", "“%” in the user search", shown > 0, f"{shown} accounts listed")
    status, headers, _p = office.get("/")
    cache = headers.get("Cache-Control", "")
    report("9", "a signed-in page's Cache-Control", "no-store" not in cache, cache or "(none)")
    if owned:  # our own copy of the demo: rename one visited enterprise to a formula, as an import may
        code = _cells(office.get("/campaigns/1/records.xlsx")[2])
        code = code[code.index("统一社会信用代码") + 1]
        upload = workbook([["统一社会信用代码", "单位名称", "单位类别"], [code, FORMULA, "一般单位"]])
        page = office.post("/import/subjects", files={"file": ("rename.xlsx", upload)}, token_from="/import/subjects")[2]
        token = re.search(r'name="token" value="([0-9a-f]{32})"', page)
        if token:
            office.post("/import/subjects/confirm", {"token": token.group(1)}, token_from="/import/subjects")
    cells = _cells(office.get("/campaigns/1/records.xlsx")[2])
    formulas = [v for v in cells if v.startswith(("=", "+", "-", "@"))]
    guarded = sum(v == "'" + FORMULA for v in cells)
    report("9", "cells of the joint-record workbook that a spreadsheet would run", bool(formulas),
           f"{len(formulas)} found" + (f": {formulas[:2]}" if formulas else "")
           + (f"; the renamed enterprise appears {guarded} time(s) with its leading apostrophe" if owned else ""))


FORMULA = '=HYPERLINK("http://example.invalid","点击查看")'


def _cells(data) -> list[str]:
    import pandas as pd

    if isinstance(data, str):
        return []
    sheets = pd.read_excel(io.BytesIO(data), engine="calamine", header=None, dtype=str, sheet_name=None)
    return [v for f in sheets.values() for v in f.to_numpy().ravel().tolist() if isinstance(v, str)]


# ---- running it ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def own_server(work: Path) -> tuple[str, subprocess.Popen, dict, Path]:
    database = work / "liancha.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": os.urandom(16).hex(),
           "AUDIT_KEY_FILE": str(work / "audit_key"), "AUDIT_CHECKPOINT_DIR": str(work / "checkpoints"),
           "WORK": str(work), "PYTHONPATH": str(ROOT)}
    env.pop("AUDIT_KEY", None)
    env.pop("AUDIT_CHECKPOINT", None)
    for command in (["init-db"], ["seed-demo"]):
        print(f"准备演示数据：flask {command[0]} …", flush=True)
        subprocess.run([sys.executable, "-m", "flask", "--app", "coordinator", *command], cwd=ROOT, env=env,
                       check=True, capture_output=True, timeout=900)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "coordinator", "run", "--host", "127.0.0.1",
                               "--port", str(port), "--with-threads"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    return f"http://127.0.0.1:{port}", server, env, database


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="attack this running local server instead of building one")
    parser.add_argument("--password", default="Demo2024", help="the demo accounts' password")
    args = parser.parse_args()
    if args.url and urlsplit(args.url).hostname not in LOOPBACK:
        parser.error("only a server on this machine (127.0.0.1, localhost, ::1) may be attacked")
    work = Path(tempfile.mkdtemp(prefix="liancha-attack-"))
    server = None
    try:
        if args.url:
            base, env, database = args.url.rstrip("/"), None, None
        else:
            base, server, env, database = own_server(work)
        print(f"目标：{base}", flush=True)
        for step in (import_takeover, session_revocation, recusals, double_import, officer_review):
            step(base, args.password)
        audit_chain(base, args.password, database, env)
        upload_bombs(base, args.password)
        smaller(base, args.password, owned=database is not None)
        throttling(base, args.password)  # last: where it does not hold, the office stays locked out for a while
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    through = [r for r in RESULTS if r[2]]
    print(f"\n{len(RESULTS)} attempts, {len(through)} got through" + (":" if through else "."))
    for finding, attempt, _through, detail in through:
        print(f"  {finding}. {attempt}: {detail}")
    return 1 if through else 0


if __name__ == "__main__":
    raise SystemExit(main())
