"""Benchmark: coverage duties for a year of 100,000 enterprises and 200,000 inspections (page, workbook, command).

Run by hand:  .venv/bin/python bench/bench_coverage.py [--subjects 100000] [--inspections 200000] [--runs 5]
                                                      [--keep /tmp/bench_coverage.db]
Prints one Markdown table; figures go to BENCHMARKS.md ("## 抽查覆盖"). The data are Core inserts into a throw-away
SQLite database (or the empty, throw-away database in DATABASE_URL): the seeds' six default rules for the fire
brigade and emergency management; enterprises of every category with the seed-003 flags; inspections spread over
the year and the year before, each by one department or jointly by two. Also times the enterprise page (一企一档)
of an enterprise with 50 inspections, server time through the test client.
"""
from __future__ import annotations

import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import arguments, bench_app, cpu_model, insert  # noqa: E402

YEAR = 2025
PER_CAMPAIGN = 1_000
RICH_INSPECTIONS = 50  # the enterprise whose page is timed


def generate(engine, n_subjects: int, n_inspections: int) -> int:
    """Returns the id of the enterprise with RICH_INSPECTIONS inspections."""
    from coordinator.auth.models import Department
    from coordinator.campaigns.models import Campaign, CampaignSubject, Draw
    from coordinator.directories.models import Subject
    from coordinator.results.models import DepartmentResult, InspectionRecord

    rng = random.Random(20261129)
    categories = ["消防安全重点单位"] * 5 + ["一般单位"] * 45 + ["九小场所"] * 50
    with engine.begin() as c:
        insert(c, Department.__table__, [{"id": 1, "code": "xfj", "name": "消防救援大队", "active": True},
                                          {"id": 2, "code": "yjj", "name": "应急管理局", "active": True},
                                          {"id": 3, "code": "scj", "name": "市场监督管理局", "active": True}])
        insert(c, Subject.__table__, [
            {"id": s + 1, "credit_code": f"91139901MA{s:08d}", "name": f"基准{s:06d}号单位",
             "category": rng.choice(categories), "crowded": rng.random() < 0.3, "industry": "工贸",
             "major_hazard": rng.random() < 0.01, "has_complaint": rng.random() < 0.02,
             "blacklisted": rng.random() < 0.005, "has_penalty": rng.random() < 0.02, "risk_class": rng.choice("ABCD")}
            for s in range(n_subjects)])
        n_campaigns = n_inspections // PER_CAMPAIGN + 1
        days = [date(YEAR - 1, 7, 1) + timedelta(days=d) for d in range(549)]
        campaigns, draws = [], []
        for k in range(n_campaigns):
            day = rng.choice(days)
            campaigns.append({"id": k + 1, "name": f"基准抽查{k}", "lead_department_id": 1 + k % 3, "period_start": day,
                              "period_end": day, "visit_start": day, "visit_end": day, "items_deadline": day})
            draws.append({"id": k + 1, "campaign_id": k + 1, "kind": "subjects", "problem": "{}",
                          "locked_sha256": "0" * 64})
        insert(c, Campaign.__table__, campaigns)
        insert(c, Draw.__table__, draws)
        rich = n_subjects  # the last enterprise
        cs_rows, records, results = [], [], []
        chosen: list[int] = []
        for i in range(n_inspections):
            campaign = i // PER_CAMPAIGN + 1
            if i % PER_CAMPAIGN == 0:  # one campaign visits an enterprise once; the rich one is in the first 50
                chosen = rng.sample(range(1, n_subjects), min(PER_CAMPAIGN, n_subjects - 1))
                if campaign <= RICH_INSPECTIONS:
                    chosen[0] = rich
            subject = chosen[i % PER_CAMPAIGN]
            day = campaigns[campaign - 1]["visit_start"]
            cs_rows.append({"id": i + 1, "campaign_id": campaign, "subject_id": subject, "draw_id": campaign,
                            "stratum": "全部", "probability": 0.2, "status": "active", "visit_date": day})
            records.append({"id": i + 1, "campaign_subject_id": i + 1, "inspected_on": day, "due_on": day,
                            "status": "published"})
            lead = campaigns[campaign - 1]["lead_department_id"]
            results.append({"record_id": i + 1, "department_id": lead})
            if rng.random() < 0.3:
                results.append({"record_id": i + 1, "department_id": lead % 3 + 1})
        insert(c, CampaignSubject.__table__, cs_rows)
        insert(c, InspectionRecord.__table__, records)
        insert(c, DepartmentResult.__table__, results)
    return rich


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    args = arguments({"subjects": 100_000, "inspections": 200_000})

    from coordinator.auth.models import User
    from coordinator.coverage import services
    from coordinator.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app, made_before = bench_app(args.keep, tmp, WTF_CSRF_ENABLED=False, PASSWORD_HASH_METHOD="pbkdf2:sha256:1000")
        database = app.config["SQLALCHEMY_DATABASE_URI"]
        with app.app_context():
            start = time.perf_counter()
            if made_before:
                rich = args.subjects
            else:
                db.create_all()
                rich = generate(db.engine, args.subjects, args.inspections)
                services.load_defaults()
                office = User(username="office", display_name="办公室", role="office")
                office.set_password("Passw0rd1")
                db.session.add(office)
                db.session.commit()
            made = time.perf_counter() - start
            on = date(YEAR, 12, 1)
            report = [timed(lambda: services.report(YEAR, on=on)) for _ in range(args.runs)]
            book = [timed(lambda: services.write_workbook(io.BytesIO(), YEAR, on=on)) for _ in range(args.runs)]
            rows = services.report(YEAR, on=on)
            due = sum(r.population - r.done for r in rows if r.remaining)
        client = app.test_client()
        client.post("/login", data={"username": "office", "password": "Passw0rd1"})
        page = [timed(lambda: client.get(f"/coverage/?year={YEAR}")) for _ in range(args.runs)]
        assert client.get(f"/coverage/?year={YEAR}").status_code == 200
        subject_page = [timed(lambda: client.get(f"/subjects/{rich}")) for _ in range(args.runs * 2)]
        assert client.get(f"/subjects/{rich}").status_code == 200
        command = []
        if database.startswith("sqlite:///"):  # the command as typed: a new process, its start-up included
            out = Path(tmp) / "coverage.xlsx"
            # as installed: byte-code cached (pip compiles it; a PYTHONDONTWRITEBYTECODE shell would recompile the
            # app's modules on every start, ≈ 0.1–0.2 s)
            env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
                   "DATABASE_URL": database, "PYTHONPATH": str(ROOT)}
            flask = [sys.executable, "-m", "flask", "--app", "coordinator", "coverage", "--year", str(YEAR), str(out)]
            command = [timed(lambda: subprocess.run(flask, env=env, cwd=ROOT, check=True, capture_output=True))
                       for _ in range(args.runs)]

    print(f"数据：{args.subjects:,} 户检查对象，{args.inspections:,} 次检查（{YEAR - 1}年7月至{YEAR}年12月），"
          f"6 条默认覆盖规则，{len(rows)} 行（规则×期间），未覆盖名单 {due:,} 户；生成 {made:.1f} s")
    print()
    print("| 项目 | 第1次 | 中位数 | 最快 | 目标 |")
    print("|---|---|---|---|---|")

    def line(name: str, walls: list[float], target: str, unit: float = 1.0, fmt: str = "{:.2f} s") -> None:
        shown = [fmt.format(v * unit) for v in (walls[0], statistics.median(walls), min(walls))]
        print(f"| {name} | {' | '.join(shown)} | {target} |")

    line("覆盖统计（SQL 聚合）", report, "—")
    line("覆盖情况页（服务器时间）", page, "< 2 s")
    line("覆盖工作簿（= coverage 命令，含未覆盖名单）", book, "< 2 s")
    if command:
        line("flask coverage 命令（新进程，含 Python 启动与建应用）", command, "—")
    line(f"一企一档：{RICH_INSPECTIONS} 次检查的企业页（服务器时间）", subject_page, "< 100 ms", 1000, "{:.0f} ms")
    print()
    load = os.getloadavg()
    print(f"机器：{os.cpu_count()} 核（nproc），{cpu_model()}，Python {sys.version.split()[0]}，"
          f"SQLite {__import__('sqlite3').sqlite_version}；运行后 uptime 负载 {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
