"""Write workbooks row by row with XlsxWriter; text that a spreadsheet would run as a formula is neutralised."""
from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import xlsxwriter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """Prefix text a spreadsheet would treat as a formula (=, +, -, @) with an apostrophe."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def strip_safe_prefix(text: str) -> str:
    """Undo safe_text on re-import, so an export round-trips."""
    return text[1:] if text.startswith("'") and text[1:2] in FORMULA_PREFIXES else text


class SheetWriter:
    """A worksheet written top to bottom; every value goes through the one typed writer below."""

    def __init__(self, workbook: xlsxwriter.Workbook, name: str, formats: dict):
        self.sheet = workbook.add_worksheet(name)
        self.formats = formats
        self.row = 0

    def title(self, text: str, width: int) -> None:
        text = safe_text(text)  # a title carries names users typed (a campaign's, a county's)
        if width > 1:
            self.sheet.merge_range(self.row, 0, self.row, width - 1, text, self.formats["title"])
        else:
            self.sheet.write_string(self.row, 0, text, self.formats["title"])
        self.sheet.set_row(self.row, 28)
        self.row += 1

    def header(self, headers: Sequence[str], widths: Sequence[int] | None = None) -> None:
        for col, text in enumerate(headers):
            self.sheet.write_string(self.row, col, safe_text(text), self.formats["header"])
            self.sheet.set_column(col, col, (widths[col] if widths else max(10, len(text) * 2 + 2)))
        self.sheet.freeze_panes(self.row + 1, 0)
        self.row += 1

    def write(self, values: Iterable) -> None:
        for col, value in enumerate(values):
            self.cell(self.row, col, value)
        self.row += 1

    def write_texts(self, rows: Iterable[Sequence[str | None]]) -> None:
        """Long lists of text, fast: each cell through the formula guard, no per-cell format, empty cells left out
        (a still-due list of 10,000 enterprises is written in a fraction of what `write` takes)."""
        write_string, row = self.sheet.write_string, self.row
        for values in rows:
            for col, value in enumerate(values):
                if value:
                    write_string(row, col, safe_text(value))
            row += 1
        self.row = row

    def merge(self, first_col: int, last_col: int, value, fmt=None) -> None:
        """One value across columns of the current row, through the same formula guard as every cell."""
        text = "" if value is None else safe_text(str(value))
        self.sheet.merge_range(self.row, first_col, self.row, last_col, text, fmt or self.formats["text"])

    def cell(self, row: int, col: int, value, fmt=None) -> None:
        if value is None or value == "":
            self.sheet.write_blank(row, col, None, fmt or self.formats["text"])
        elif isinstance(value, bool):
            self.sheet.write_string(row, col, "是" if value else "否", fmt or self.formats["text"])
        elif isinstance(value, (int, float)):
            self.sheet.write_number(row, col, value, fmt or self.formats["number"])
        elif isinstance(value, (date, datetime)):
            self.sheet.write_string(row, col, value.strftime("%Y-%m-%d"), fmt or self.formats["text"])
        else:
            self.sheet.write_string(row, col, safe_text(str(value)), fmt or self.formats["text"])


def open_workbook(target: str | IO[bytes], *, constant_memory: bool = False):
    """A workbook with the house formats; `constant_memory` for long lists written strictly row by row."""
    options = {"constant_memory": constant_memory, "strings_to_formulas": False, "strings_to_urls": False}
    if not isinstance(target, str):
        options["in_memory"] = True
    import xlsxwriter  # here: the app's start (every page, every command) need not load it

    workbook = xlsxwriter.Workbook(target, options)
    base = {"font_name": "宋体", "font_size": 10.5, "valign": "vcenter"}
    formats = {
        "title": workbook.add_format({**base, "bold": True, "font_size": 16, "align": "center"}),
        "header": workbook.add_format(
            {**base, "bold": True, "border": 1, "align": "center", "text_wrap": True, "bg_color": "#E8EEF5"}
        ),
        "text": workbook.add_format({**base, "border": 1, "text_wrap": True}),
        "wrap": workbook.add_format({**base, "border": 1, "text_wrap": True}),
        "number": workbook.add_format({**base, "border": 1, "align": "right"}),
        "plain": workbook.add_format(base),
    }
    return workbook, formats


def write_list(target, sheet_name: str, title: str | None, headers: Sequence[str], rows: Iterable[Sequence]) -> None:
    """A one-sheet list workbook: optional title row, header, rows — the shape every export here has."""
    workbook, formats = open_workbook(target, constant_memory=True)
    sheet = SheetWriter(workbook, sheet_name, formats)
    if title:
        sheet.title(title, len(headers))
    sheet.header(headers)
    for row in rows:
        sheet.write(row)
    workbook.close()


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def send_workbook(write, filename: str):
    """A download response: `write(target)` fills an in-memory workbook sent as `filename`.xlsx."""
    from flask import send_file

    buffer = io.BytesIO()
    write(buffer)
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name=f"{filename}.xlsx", mimetype=XLSX_MIMETYPE)
