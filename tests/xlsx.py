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


def write_csv(path: Path, rows: list[list], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    """Write `rows` (None = an empty line) as a CSV file in `encoding`, as a government system exports it."""
    import csv
    import io

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row or []])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xls(path: Path, rows: list[list], *, start_row: int = 0) -> Path:
    """The same in the old Excel 97–2003 format (.xls)."""
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("Sheet1")
    for offset, row in enumerate(rows):
        for col, value in enumerate(row or []):
            if value is not None:
                sheet.write(start_row + offset, col, value)
    workbook.save(str(path))
    return path
