"""What the database benchmarks share: their --runs/--keep options, the throw-away (or kept) database and its app,
chunked Core inserts, and the machine line of their report."""
from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

CHUNK = 20_000


def arguments(sizes: dict[str, int]) -> argparse.Namespace:
    """`--NAME N` for each size (its default given), then `--runs` and `--keep`."""
    parser = argparse.ArgumentParser()
    for name, default in sizes.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", metavar="FILE.db", help="SQLite file kept for the next run (made only if missing)")
    return parser.parse_args()


def bench_app(keep: str | None, tmp: str, **config):
    """The app on the kept SQLite file, else the (empty, throw-away) DATABASE_URL, else a file in `tmp`; and
    whether the kept file is already made (an earlier run with the same sizes filled it)."""
    from coordinator import create_app

    kept = Path(keep) if keep else None
    database = (f"sqlite:///{kept.resolve()}" if kept else None) or os.environ.get("DATABASE_URL") \
        or f"sqlite:///{Path(tmp) / 'bench.db'}"
    made = bool(kept and kept.exists())
    return create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "bench", **config}), made


def insert(connection, table, rows: list[dict]) -> int:
    for start in range(0, len(rows), CHUNK):
        connection.execute(table.insert(), rows[start:start + CHUNK])
    return len(rows)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
