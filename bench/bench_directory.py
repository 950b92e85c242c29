"""Benchmark: import 100,000 enterprises from one .xlsx, then page through the filtered list at that size.

Run by hand:  .venv/bin/python bench/bench_directory.py [--rows 100000]
Prints one table; figures go to BENCHMARKS.md. Uses a throw-away SQLite database (or DATABASE_URL).
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = ["统一社会信用代码", "单位名称", "地址", "法定代表人", "法定代表人电话", "行业", "单位类别", "乡镇",
          "人员密集场所", "信用风险分类", "列入黑名单", "经营状态"]
TOWNS = ["城关镇", "河西镇", "柳庄镇", "王桥镇", "清泉乡", "马集镇", "东湖街道", "开发区"]
INDUSTRIES = ["零售", "餐饮", "工贸", "仓储物流", "住宿", "危险化学品", "娱乐", "医疗", "教育", "成品油", "烟花爆竹"]


def make_file(path: Path, rows: int) -> None:
    import xlsxwriter

    from coordinator.directories.creditcode import check_character

    rng = random.Random(20261122)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["检查对象名录库（基准测试）"])
    sheet.write_row(1, 0, HEADER)
    for n in range(rows):
        body = f"91139901MA{n:07d}"
        sheet.write_row(n + 2, 0, [
            body + check_character(body), f"河清县基准{n:06d}号有限公司", f"{rng.choice(TOWNS)}人民路{n}号",
            "张三", f"138{n:08d}", rng.choice(INDUSTRIES), rng.choice(["消防安全重点单位", "一般单位", "九小场所"]),
            rng.choice(TOWNS), rng.choice(["是", "否"]), rng.choice("ABCD"), "否", "存续",
        ])
    workbook.close()


def import_in_child(path: Path, database: str) -> tuple[float, float, str]:
    """Run the import in a fresh process so its peak memory is the import's alone."""
    code = f"""
import resource, time
from coordinator import create_app
from coordinator.extensions import db
from coordinator.excel.importing import run_import
from coordinator.directories.importers import SubjectImporter
app = create_app({{"SQLALCHEMY_DATABASE_URI": {database!r}}})
with app.app_context():
    db.create_all()
    start = time.perf_counter()
    report = run_import(SubjectImporter(), {str(path)!r}, dry_run=False)
    elapsed = time.perf_counter() - start
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, report.summary())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    elapsed, peak, summary = out.strip().split(" ", 2)
    return float(elapsed), float(peak), summary


def list_timings(database: str) -> list[tuple[str, float]]:
    from coordinator import create_app
    from coordinator.auth.models import User
    from coordinator.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        user = User(username="bench", display_name="bench", role="office")
        user.set_password("Bench2024x")
        db.session.add(user)
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": "bench", "password": "Bench2024x"})
    cases = [
        ("第1页，无条件", "/subjects"),
        ("第1000页，无条件", "/subjects?page=1000"),
        ("乡镇+类别+风险", "/subjects?region=城关镇&category=一般单位&risk_class=C"),
        ("名称模糊查询", "/subjects?q=基准0999"),
        ("按信用代码", "/subjects?q=91139901MA0050000"),
        ("行业+状态，第50页", "/subjects?industry=零售&status=存续&page=50"),
    ]
    results = []
    for label, url in cases:
        times = []
        for _ in range(7):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        results.append((label, statistics.median(times)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "subjects.xlsx"
        start = time.perf_counter()
        make_file(path, args.rows)
        print(f"生成测试文件：{args.rows:,} 行，{path.stat().st_size / 1e6:.1f} MB，{time.perf_counter() - start:.1f} s")
        database = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.db'}"
        elapsed, peak, summary = import_in_child(path, database)
        print(f"| 导入 {args.rows:,} 户（.xlsx） | {elapsed:.1f} s | 峰值内存 {peak:.0f} MB | {summary} |")
        for label, ms in list_timings(database):
            print(f"| 名录列表：{label} | {ms:.1f} ms（服务端，7次中位数） |")
    print(f"# 机器：{os.cpu_count()} 核，Python {sys.version.split()[0]}，ru_maxrss 自身 "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
