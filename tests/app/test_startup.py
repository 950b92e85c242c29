"""What every `flask --app coordinator …` command and every server start pays: building the app loads no library
that only some pages or commands use (NumPy and OR-Tools for a draw, pandas to read a workbook, Alembic for
`init-db`, XlsxWriter for an export) — each is imported by the function that needs it."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEFERRED = {"numpy", "pandas", "ortools", "alembic", "flask_migrate", "xlsxwriter", "openpyxl", "xlrd", "PIL",
            "markdown"}
BUILD = """
import gc, json, sys
import coordinator
app = coordinator.create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                              "UPLOAD_FOLDER": sys.argv[1]})
print(json.dumps({"loaded": sorted({name.split(".")[0] for name in sys.modules}), "collecting": gc.isenabled()}))
"""


@pytest.mark.slow
def test_building_the_app_loads_no_library_that_only_some_work_needs(tmp_path):
    out = subprocess.run([sys.executable, "-c", BUILD, str(tmp_path)], cwd=ROOT, check=True, capture_output=True,
                         text=True)
    built = json.loads(out.stdout.splitlines()[-1])
    assert DEFERRED.isdisjoint(built["loaded"]), sorted(DEFERRED.intersection(built["loaded"]))
    assert {"coordinator", "flask", "sqlalchemy"} <= set(built["loaded"])
    assert built["collecting"]  # the build pauses garbage collection, and resumes it


def test_the_deferred_libraries_still_load_where_they_are_used(app, tmp_path):
    """The deferred imports are reached: the schema command, a workbook, a draw's random stream."""
    from coordinator.excel.writer import open_workbook
    from coordinator.extensions import migrations
    from solver.common import generator

    migrations(app)
    assert app.extensions["migrate"].directory.endswith("migrations") and "db" not in app.cli.commands
    workbook, _formats = open_workbook(str(tmp_path / "x.xlsx"))
    workbook.add_worksheet("表")
    workbook.close()
    assert (tmp_path / "x.xlsx").stat().st_size > 0
    assert generator("00" * 32, "stratum").integers(0, 10) == generator("00" * 32, "stratum").integers(0, 10)
