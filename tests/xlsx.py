"""Build small Excel files for import tests, shaped like real exports."""
from __future__ import annotations

from pathlib import Path

import xlsxwriter


def write_xlsx(path: Path, rows: list[list], *, start_row: int = 0) -> Path:
    """Write `rows` (None = an empty row) from `start_row` (0-based) of the first sheet."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Sheet1")
    for offset, row in enumerate(rows):
        for col, value in enumerate(row or []):
            if value is not None:
                sheet.write(start_row + offset, col, value)
    workbook.close()
    return path
