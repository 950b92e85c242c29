"""The city instance of issue 15 against its own I/O floor, measured in the same run.

Run: `.venv/bin/python bench/bench_city.py [--runs N]`. Writes the instance to a temporary folder, then per
run, each in a fresh process: the solver's command line (`python -m solver teams city.json -o out.json`)
and the I/O floor (the same interpreter reading the input, hashing it as the contract says and writing
that result). Times are wall-clock of the whole process; the ratio solver / floor is what to compare,
since the machine is shared; the CPU time (user + system) of each process is printed beside it, which other
work on the machine disturbs less. Peak RSS is each solver process's own `ru_maxrss`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_solver import city_instance  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FLOOR = """
import json, sys
from solver.common import dumps, input_sha256
with open(sys.argv[1], encoding="utf-8") as f:
    problem = json.load(f)
input_sha256(problem)
import time
started = time.perf_counter()
with open(sys.argv[2], encoding="utf-8") as f:
    result = json.load(f)  # the solver's result, read back: not part of the floor, its time is subtracted
print(time.perf_counter() - started)
with open(sys.argv[3], "w", encoding="utf-8") as f:
    f.write(dumps(result))
"""


SOLVE = """
import resource, runpy, sys
sys.argv = ["solver", "teams", sys.argv[1], "-o", sys.argv[2]]
try:
    runpy.run_module("solver", run_name="__main__")
except SystemExit as exit:
    assert not exit.code
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # the solver's own peak, in MB
"""


def _timed(args: list[str], cwd: Path = ROOT) -> tuple[float, str, float]:
    """Wall time, standard output and CPU time (user + system) of one run in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, run.stdout, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", type=Path, help="a folder holding an older `solver/` to time in the same run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        problem_path, result_path, copy_path, before_path = (
            os.path.join(folder, name) for name in ("city.json", "out.json", "copy.json", "before.json"))
        problem = city_instance()
        with open(problem_path, "w", encoding="utf-8") as f:
            json.dump(problem, f, ensure_ascii=False)
        print(f"city: {len(problem['subjects'])} subjects, {len(problem['inspectors'])} inspectors, "
              f"{len(problem['conflicts'])} recusals, input {os.path.getsize(problem_path) / 1e6:.1f} MB")
        print("| run | before (s) | after (s) | I/O floor (s) | before / floor | after / floor | "
              "CPU before / after / floor (s) | peak RSS before / after (MB) | load |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        outputs, before_outputs = set(), set()
        for k in range(args.runs):
            before = cpu_before = rss_before = None
            if args.before:  # `python -c` puts the working folder first on the path: the older solver is run
                before, rss_before, cpu_before = _timed([sys.executable, "-c", SOLVE, problem_path, before_path],
                                                        cwd=args.before)
            after, rss, cpu_after = _timed([sys.executable, "-c", SOLVE, problem_path, result_path])
            rss = float(rss)
            floor, read_back, cpu_floor = _timed([sys.executable, "-c", FLOOR, problem_path, result_path, copy_path])
            floor -= float(read_back)
            cpu_floor -= float(read_back)
            with open(result_path, "rb") as f:
                outputs.add(f.read())
            if args.before:
                with open(before_path, "rb") as f:
                    before_outputs.add(f.read())
            shown = f"{before:.2f} | " if before is not None else "- | "
            ratio = f"{before / floor:.2f} | " if before is not None else "- | "
            cpu = f"{cpu_before:.2f} / " if cpu_before is not None else "- / "
            print(f"| {k + 1} | {shown}{after:.2f} | {floor:.2f} | {ratio}{after / floor:.2f} | "
                  f"{cpu}{cpu_after:.2f} / {cpu_floor:.2f} | {float(rss_before or 'nan'):.0f} / {rss:.0f} | "
                  f"{os.getloadavg()[0]:.1f} |", flush=True)
        if args.before:
            def without_versions(text: bytes) -> dict:
                result = json.loads(text)
                result.pop("versions")
                return result

            same = {json.dumps(without_versions(text)) for text in outputs | before_outputs}
            print(f"the same bytes as the older solver's: {before_outputs == outputs}; "
                  f"the same result apart from `versions`: {len(same) == 1}")
        result = json.loads(outputs.pop())
        print(f"byte-identical across runs: {not outputs}; staffed {len(result['teams'])}/{len(problem['subjects'])}, "
              f"uncapped pairs {len(result['randomness']['uncapped_pairs'])}, "
              f"largest pair probability {result['randomness']['largest_pair_probability']}")


if __name__ == "__main__":
    main()
