"""Benchmark: the county statistics form for a year of 100,000 inspection results, query and workbook, end to end.

Run by hand:  .venv/bin/python bench/bench_stats.py [--records 100000] [--runs 5] [--keep /tmp/bench_stats.db]
Prints one table (Markdown); figures go to BENCHMARKS.md ("## 统计表"). The data are made with Core inserts
into a throw-away SQLite database (or the empty, throw-away database in DATABASE_URL): one result = one
enterprise's joint record (一企一表) with a result per visiting department, their item results and teams.
"""
from __future__ import annotations

import io
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import arguments, bench_app, cpu_model, insert  # noqa: E402

YEAR = 2025
DEPARTMENTS = ["应急管理局", "市场监督管理局", "商务局", "消防救援大队", "生态环境分局", "住房和城乡建设局",
               "交通运输局", "农业农村局"]
INSPECTORS_PER_DEPARTMENT = 150
RECORDS_PER_CAMPAIGN = 2_500
OTHER_YEAR_SHARE = 0.2  # records of the year before, which the year's form must leave out


def generate(engine, records: int) -> dict[str, int]:
    """Departments, inspectors, subjects, campaigns (each with departments, items, a draw), records, parts,
    item results and team members; about 15 % of parts find problems, 95 % of parts are handed in."""
    from coordinator.auth.models import Department
    from coordinator.campaigns.models import (
        Campaign,
        CampaignDepartment,
        CampaignItem,
        CampaignSubject,
        CampaignSubjectDepartment,
        Draw,
        TeamMember,
    )
    from coordinator.directories.models import Inspector, Subject
    from coordinator.items.models import Item
    from coordinator.results.models import DepartmentResult, InspectionRecord, ItemResult

    rng = random.Random(20261122)
    other = int(records * OTHER_YEAR_SHARE)
    total = records + other
    n_subjects = int(records * 0.8)  # some enterprises are inspected twice in the year
    moment = datetime(YEAR, 1, 2, 9, 0)
    counts: dict[str, int] = {}
    with engine.begin() as c:
        counts["department"] = insert(c, Department.__table__, [
            {"id": d + 1, "code": f"d{d + 1}", "name": name, "active": True} for d, name in enumerate(DEPARTMENTS)])
        counts["inspector"] = insert(c, Inspector.__table__, [
            {"id": d * INSPECTORS_PER_DEPARTMENT + k + 1, "department_id": d + 1, "name": f"执法员{d}-{k}",
             "cert_no": f"Z{d:02d}{k:05d}", "cert_expiry": date(2030, 1, 1)}
            for d in range(len(DEPARTMENTS)) for k in range(INSPECTORS_PER_DEPARTMENT)])
        counts["item"] = insert(c, Item.__table__, [
            {"id": d * 2 + k + 1, "department_id": d + 1, "code": f"D{d}-{k}", "name": f"{DEPARTMENTS[d]}事项{k}",
             "industries": "全部"} for d in range(len(DEPARTMENTS)) for k in range(2)])
        counts["subject"] = insert(c, Subject.__table__, [
            {"id": s + 1, "credit_code": f"91139901MA{s:08d}", "name": f"基准{s:06d}号有限公司", "category": "一般单位",
             "industry": "工贸"} for s in range(n_subjects)])

        # the year before comes first, as in a real database that has been used for a while
        per_campaign = min(RECORDS_PER_CAMPAIGN, n_subjects)  # an enterprise is drawn once per campaign
        earlier = -(-other // per_campaign)
        n_campaigns = earlier + -(-records // per_campaign)
        campaigns, campaign_departments, items, draws, visiting = [], [], [], [], {}
        for k in range(n_campaigns):
            year = YEAR - 1 if k < earlier else YEAR
            month = 1 + k % 12
            departments = [1 + k % len(DEPARTMENTS)] + rng.sample(
                [d for d in range(1, len(DEPARTMENTS) + 1) if d != 1 + k % len(DEPARTMENTS)], rng.randint(1, 3))
            visiting[k + 1] = departments
            campaigns.append({
                "id": k + 1, "name": f"{year}年度基准联合抽查{k + 1:03d}", "lead_department_id": departments[0],
                "period_start": date(year, month, 1), "period_end": date(year, month, 28),
                "visit_start": date(year, month, 1), "visit_end": date(year, month, 28),
                "items_deadline": date(year, month, 1), "scope": {}, "strata": [], "must_flags": [],
                "risk_weights": {"A": 0.5, "B": 1, "C": 1.5, "D": 2, "": 1}, "expertise_industries": [],
                "status": "dispatched", "created_at": moment})
            draws.append({"id": k + 1, "campaign_id": k + 1, "kind": "subjects", "problem": "{}",
                          "locked_sha256": "0" * 64, "note": "", "witness": "", "locked_at": moment})
            for d in departments:
                pid = len(campaign_departments) + 1
                campaign_departments.append({"id": pid, "campaign_id": k + 1, "department_id": d,
                                       "is_lead": d == departments[0], "materials": ""})
                for j in range(2):
                    items.append({"id": len(items) + 1, "campaign_department_id": pid, "item_id": (d - 1) * 2 + j + 1,
                                  "version": 1, "data": {"name": f"{DEPARTMENTS[d - 1]}事项{j}"}})
        counts["campaign"] = insert(c, Campaign.__table__, campaigns)
        insert(c, Draw.__table__, draws)
        counts["campaign_department"] = insert(c, CampaignDepartment.__table__, campaign_departments)
        counts["campaign_item"] = insert(c, CampaignItem.__table__, items)
        item_of = {}  # (campaign, department) → its two campaign items
        for p in campaign_departments:
            item_of[(p["campaign_id"], p["department_id"])] = [i["id"] for i in items if i["campaign_department_id"] == p["id"]]

        subjects, reached, records_, parts, results, members = [], [], [], [], [], []
        for i in range(total):
            campaign = campaigns[i // per_campaign if i < other else earlier + (i - other) // per_campaign]
            visit = date(campaign["period_start"].year, campaign["period_start"].month, 1 + i % 28)
            subjects.append({"id": i + 1, "campaign_id": campaign["id"], "subject_id": i % n_subjects + 1,
                             "draw_id": campaign["id"], "stratum": "全部", "probability": 0.2, "must": False,
                             "status": "active", "visit_date": visit,
                             "unstaffed_reason": ""})
            reached.extend({"campaign_subject_id": i + 1, "department_id": d} for d in visiting[campaign["id"]])
            records_.append({"id": i + 1, "campaign_subject_id": i + 1, "status": "published",
                             "inspected_on": visit if rng.random() < 0.9 else None, "due_on": visit,
                             "signed": True, "refusal_note": "", "return_reason": "", "status_applied": True})
            for d in visiting[campaign["id"]]:
                part_id = len(parts) + 1
                problem = rng.random() < 0.15
                follow_ups = (rng.sample(["行政指导", "责令改正", "列入经营异常名录", "立案调查"], rng.randint(1, 2))
                              if problem else ["无需后续处置"])
                parts.append({"id": part_id, "record_id": i + 1, "department_id": d, "follow_ups": follow_ups,
                              "transfer_to": "", "questions_answered": rng.random() < 0.3, "note": "",
                              "submitted_at": moment if rng.random() < 0.95 else None})
                for n, campaign_item in enumerate(item_of[(campaign["id"], d)][:rng.randint(1, 2)]):
                    found = problem and n == 0
                    results.append({"department_result_id": part_id, "campaign_item_id": campaign_item,
                                    "result": "发现问题已责令改正" if found else "未发现问题",
                                    "problems": 1 if found else 0, "description": ""})
                for seat in range(2):
                    members.append({"campaign_subject_id": i + 1, "department_id": d,
                                    "inspector_id": (d - 1) * INSPECTORS_PER_DEPARTMENT
                                    + rng.randrange(INSPECTORS_PER_DEPARTMENT) + 1,
                                    "is_leader": seat == 0 and d == visiting[campaign["id"]][0],
                                    "draw_id": campaign["id"], "recusal_reason": "",
                                    "recused_at": moment if rng.random() < 0.02 else None})
        counts["campaign_subject"] = insert(c, CampaignSubject.__table__, subjects)
        insert(c, CampaignSubjectDepartment.__table__, reached)
        counts["inspection_record"] = insert(c, InspectionRecord.__table__, records_)
        counts["department_result"] = insert(c, DepartmentResult.__table__, parts)
        counts["item_result"] = insert(c, ItemResult.__table__, results)
        counts["team_member"] = insert(c, TeamMember.__table__, members)
    counts["records_in_year"] = records
    return counts


def time_form(app, year: int) -> dict:
    """One end-to-end run in a fresh session: the SQL aggregates, then the workbook into memory.

    Wall time is what a user waits; CPU time is shown beside it because a shared machine's other load
    stretches the wall time but not the work done.
    """
    from coordinator.extensions import db
    from coordinator.stats import services
    from coordinator.stats.xlsx import write_form

    with app.app_context():
        wall, cpu = time.perf_counter(), time.process_time()
        form = services.county_form(services.year_scope(year))
        query_wall, query_cpu = time.perf_counter() - wall, time.process_time() - cpu
        buffer = io.BytesIO()
        write_form(buffer, form, office=services.reporting_office("河清县"), filled_on=date(2026, 11, 22))
        total_wall, total_cpu = time.perf_counter() - wall, time.process_time() - cpu
        db.session.remove()
    return {"query": query_wall, "query_cpu": query_cpu, "xlsx": total_wall - query_wall,
            "xlsx_cpu": total_cpu - query_cpu, "total": total_wall, "total_cpu": total_cpu,
            "bytes": len(buffer.getvalue()), "figures": form.total.figures}


def time_dashboard(app, year: int) -> tuple[float, float]:
    """The office's dashboard for the same year (every figure, the form's included): wall and CPU seconds."""
    from coordinator.extensions import db
    from coordinator.stats import services

    with app.app_context():
        wall, cpu = time.perf_counter(), time.process_time()
        services.dashboard(year)
        result = time.perf_counter() - wall, time.process_time() - cpu
        db.session.remove()
    return result


def main() -> None:
    args = arguments({"records": 100_000})

    from coordinator.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app, made_before = bench_app(args.keep, tmp)
        with app.app_context():
            start = time.perf_counter()
            if made_before:
                counts = {"records_in_year": args.records}  # made by an earlier run with the same --records
            else:
                db.create_all()
                counts = generate(db.engine, args.records)
                if db.engine.dialect.name == "postgresql":  # what autovacuum would soon do after such a load
                    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                        connection.execute(sa.text("ANALYZE"))
            made = time.perf_counter() - start
            db.session.remove()
        runs = [time_form(app, YEAR) for _ in range(args.runs)]
        dashboards = [time_dashboard(app, YEAR) for _ in range(3)]

    figures = runs[0]["figures"]
    rows = ", ".join(f"{name} {n:,}" for name, n in counts.items() if name != "records_in_year")
    print(f"数据：{YEAR}年 {args.records:,} 条检查结果（一企一表），另有上一年 {int(args.records * OTHER_YEAR_SHARE):,} 条；"
          f"{rows}；生成 {made:.1f} s")
    print()

    def cells(key: str, unit: float = 1.0, fmt: str = "{:.2f} s") -> str:
        walls = [r[key] for r in runs]
        cpus = [r[key + "_cpu"] for r in runs]
        shown = [fmt.format(v * unit) for v in (walls[0], statistics.median(walls), min(walls))]
        return " | ".join(shown) + " | " + fmt.format(statistics.median(cpus) * unit)

    print("| 统计表（年度） | 第1次 | 中位数 | 最快 | CPU（中位数） |")
    print("|---|---|---|---|---|")
    print(f"| 查询（SQL 聚合，5 条语句） | {cells('query')} |")
    print(f"| 写 xlsx（{runs[0]['bytes'] / 1024:.0f} KB） | {cells('xlsx', 1000, '{:.0f} ms')} |")
    print(f"| 合计（端到端，目标 < 2 s） | {cells('total')} |")
    walls, cpus = [d[0] for d in dashboards], [d[1] for d in dashboards]
    print(f"| 统计分析页的全部指标（参考） | {walls[0]:.2f} s | {statistics.median(walls):.2f} s | {min(walls):.2f} s | "
          f"{statistics.median(cpus):.2f} s |")
    print()
    print(f"合计行：抽查企业 {figures['enterprises']:,} 户，执法人员 {figures['inspectors']:,} 人，"
          f"发现问题事项 {figures['problem_items']:,} 项，发现问题企业 {figures['problem_enterprises']:,} 户；"
          f"{args.runs} 次运行")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"机器：{os.cpu_count()} 核（nproc），{cpu_model()}，Python {sys.version.split()[0]}，"
          f"SQLite {__import__('sqlite3').sqlite_version}，运行时 1 分钟平均负载 {load:.1f}，峰值内存 "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
