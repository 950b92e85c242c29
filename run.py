#!/usr/bin/env python3
"""Quick start: `python3 run.py start` (set up, load the demo county, serve) and `python3 run.py test` (the whole suite).

Only the Python standard library is used here, because this runs before anything is installed.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
PG_PORT = int(os.environ.get("LIANCHA_TEST_PG_PORT", "54329"))


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(*args, **kwargs) -> None:
    subprocess.run([str(a) for a in args], check=True, **kwargs)


def ensure_venv(extras: str = "") -> None:
    """Create .venv and install the project; reinstall only when pyproject.toml changed."""
    if not PYTHON.exists():
        say("创建虚拟环境 .venv")
        run(sys.executable, "-m", "venv", VENV)
    stamp = VENV / f".installed{extras}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    say("安装依赖（首次需要几分钟）")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", f".{extras}", cwd=ROOT)
    stamp.write_text(digest)


def flask(*args: str, env: dict | None = None) -> None:
    run(PYTHON, "-m", "flask", "--app", "coordinator", *args, cwd=ROOT, env=env)


def start() -> int:
    ensure_venv()
    flask("init-db")
    flask("seed-demo", "--if-empty")
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "5000")
    say(f"联查通已启动：http://{host}:{port}/ （Ctrl+C 停止）")
    with contextlib.suppress(KeyboardInterrupt):
        run(PYTHON, "-m", "waitress", f"--host={host}", f"--port={port}", "--threads=8",
            "--call", "coordinator:create_app", cwd=ROOT)
    return 0


# ---- PostgreSQL for the test run: installed and started here, on loopback only ---------------------


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


def _as_postgres(args: list) -> list:
    """Commands run as the `postgres` user when we are root (PostgreSQL refuses to run as root)."""
    return ["runuser", "-u", "postgres", "--", *map(str, args)] if os.geteuid() == 0 else list(map(str, args))


def pg_data() -> Path:
    return Path(f"/tmp/liancha-pg-{PG_PORT}")


def start_postgres() -> tuple[str, callable]:
    pg_bin = _pg_bin()
    if pg_bin is None:
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            raise SystemExit("需要 PostgreSQL：请安装 postgresql（Debian: apt-get install postgresql）后重试")
        say("安装 PostgreSQL（apt-get）")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run("apt-get", "update", "-qq", env=env)
        run("apt-get", "install", "-y", "-qq", "postgresql", env=env, stdout=subprocess.DEVNULL)
        pg_bin = _pg_bin()
    data = pg_data()
    if data.exists():
        subprocess.run(_as_postgres([pg_bin / "pg_ctl", "-D", data, "-m", "immediate", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(data)
    data.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    say(f"启动 PostgreSQL（127.0.0.1:{PG_PORT}，仅供测试）")
    run(*_as_postgres([pg_bin / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                       "--locale=C.UTF-8"]), stdout=subprocess.DEVNULL)
    # In the data folder's own configuration, so that a plain `pg_ctl start` (the outage test's) restarts it alike.
    with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write(f"port = {PG_PORT}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{data}'\n"
                   "fsync = off\nmax_connections = 200\n")
    pg_ctl(data, "start")
    for _ in range(50):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", PG_PORT)) == 0:
                break
        time.sleep(0.2)
    run(*_as_postgres([pg_bin / "createdb", "-h", "127.0.0.1", "-p", PG_PORT, "-U", "postgres", "liancha_test"]))

    def stop() -> None:
        subprocess.run(_as_postgres([pg_bin / "pg_ctl", "-D", data, "-m", "fast", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    return f"postgresql+psycopg://postgres@127.0.0.1:{PG_PORT}/liancha_test", stop


def pg_ctl(data: Path | str, action: str) -> None:
    """Start or stop (fast: open connections are cut, as in a restart) the test server in `data`, waiting for it."""
    mode = ["-l", Path(data) / "server.log"] if action == "start" else ["-m", "fast"]
    run(*_as_postgres([_pg_bin() / "pg_ctl", "-D", data, *mode, "-w", action]), stdout=subprocess.DEVNULL)


def ensure_chromium() -> None:
    """The browser tests drive Debian's Chromium (Playwright's own browser download does not work offline)."""
    if shutil.which("chromium"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit("需要 Chromium：请安装 chromium（Debian: apt-get install chromium）后重试")
    say("安装 Chromium（apt-get）")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run("apt-get", "update", "-qq", env=env)
    run("apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk", env=env, stdout=subprocess.DEVNULL)


def test(pytest_args: list[str]) -> int:
    """ruff, then the whole suite on SQLite and every database test again on PostgreSQL.

    With two cores or more the two runs go side by side (the SQLite run on the screen, the PostgreSQL run
    into a log printed when it ends); LIANCHA_TEST_SERIAL=1 runs them one after the other.
    """
    ensure_venv("[test]")
    ensure_chromium()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    say("代码检查（ruff check）")
    lint = subprocess.run([str(PYTHON), "-m", "ruff", "check", "."], cwd=ROOT, env=env).returncode
    sqlite_run = [str(PYTHON), "-m", "pytest", *pytest_args]
    url, stop = start_postgres()
    pg_run = [str(PYTHON), "-m", "pytest", "-m", "not nodb", "-p", "no:cacheprovider", *pytest_args]
    pg_env = {**env, "DATABASE_URL": url, "LIANCHA_TEST_DB": "postgresql", "LIANCHA_TEST_PG_DATA": str(pg_data())}
    try:
        if (os.cpu_count() or 1) >= 2 and not os.environ.get("LIANCHA_TEST_SERIAL"):
            first, second = _side_by_side(sqlite_run, env, pg_run, pg_env)
        else:
            say("测试（SQLite）")
            first = subprocess.run(sqlite_run, cwd=ROOT, env=env).returncode
            say("测试（PostgreSQL）：所有访问数据库的测试")
            second = subprocess.run(pg_run, cwd=ROOT, env=pg_env).returncode
    finally:
        stop()
    verdict = {True: "通过", False: "失败"}
    say(f"ruff: {verdict[lint == 0]}；SQLite: {verdict[first == 0]}；PostgreSQL: {verdict[second == 0]}")
    return lint or first or second


def _side_by_side(sqlite_run: list[str], env: dict, pg_run: list[str], pg_env: dict) -> tuple[int, int]:
    """Both runs at once: SQLite's output on the screen, PostgreSQL's into a log shown when both have ended."""
    log_path = ROOT / ".pytest-postgresql.log"
    say(f"测试（SQLite，显示在下面）与 PostgreSQL（所有访问数据库的测试，输出写入 {log_path.name}）同时进行")
    with open(log_path, "w", encoding="utf-8") as log:
        pg = subprocess.Popen(pg_run, cwd=ROOT, env=pg_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            first = subprocess.run(sqlite_run, cwd=ROOT, env=env).returncode
            if pg.poll() is None:
                say("SQLite 测试已结束，等待 PostgreSQL 测试……")
            second = pg.wait()
        finally:
            if pg.poll() is None:
                pg.kill()
    say("测试（PostgreSQL）的输出")
    print(log_path.read_text(encoding="utf-8"), flush=True)
    return first, second


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "start":
        return start()
    if command == "test":
        return test(argv[2:])
    print(__doc__)
    print("用法：python3 run.py start | python3 run.py test [pytest 参数]")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
