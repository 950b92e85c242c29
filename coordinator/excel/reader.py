"""Read a worksheet as real county exports come: a title above the header, header aliases, blank and notes rows.

The one reader of every import: .xlsx and .xls workbooks (their first sheet) and .csv files (see `delimited`),
told apart by their content, not their name, so a "xls" that some system exported as plain text reads too."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from ..textutil import clean
from . import delimited, limits

HEADER_SEARCH_ROWS = 15
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")  # the file names an upload may have
# A workbook starts with a ZIP (.xlsx) or an OLE compound file (.xls) signature; anything else is read as text.
WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
NOTE_PREFIXES = ("注", "说明", "备注", "填表", "制表", "数据来源", "合计", "总计")
# Columns every platform export carries that hold nothing to import: passed over without a word.
UNREPORTED_HEADERS = {"序号", "操作", "选择"}


class FileRefused(Exception):
    """The file cannot be used at all; the message is one sentence in Chinese."""


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...] = ()  # most specific first: when a file has two of them, the earlier one is used
    required: bool = False
    instead_of: str = ""  # the key of a required column this one may stand in for (注册号 for 统一社会信用代码)

    def names(self) -> set[str]:
        return {header_key(n) for n in (self.header, *self.aliases)}

    def rank(self, text: str) -> int:
        """How preferred a header is for this column: 0 for its own header, then the aliases in order."""
        keys = [header_key(n) for n in (self.header, *self.aliases)]
        return keys.index(header_key(text))


@dataclass
class Table:
    header_row: int  # Excel row number of the header
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (Excel row number, key → text)
    skipped: int = 0  # notes and repeated header rows passed over
    ignored_headers: list[str] = field(default_factory=list)


def header_key(text: object) -> str:
    """Fold a header for matching: full-width → half-width, no spaces, no required-mark asterisks or brackets."""
    return re.sub(r"[\s*＊()（）\[\]【】:：]", "", clean(text)).lower()


_WHOLE_FLOAT = re.compile(r"-?\d+\.0+")


def cell_text(value: object) -> str:
    """A cell as trimmed text; whole numbers that Excel stored as floats lose their ".0"."""
    if value is None or value != value:  # NaN is the one value unequal to itself
        return ""
    text = clean(value)
    if text.endswith("0") and "." in text and _WHOLE_FLOAT.fullmatch(text):
        text = text.split(".")[0]
    if text in ("nan", "NaN", "None"):
        return ""
    return text


def _load(path: str | Path) -> list[list[str]]:
    """The cells of the first sheet (or of the CSV file) as trimmed text, row by row."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
            data = None if head.startswith(WORKBOOK_SIGNATURES) else head + handle.read()
    except OSError as error:
        raise FileRefused("无法读取该文件：文件不存在或没有读取权限") from error
    if data == b"":
        raise FileRefused("无法读取该文件：文件是空的（0 字节）")
    try:  # before any parser sees it: how far it unpacks, how many rows it has
        if data is not None:
            limits.check_text(data)
        else:
            limits.check_workbook(path)
    except limits.TooLarge as error:
        raise FileRefused(str(error)) from None
    if data is not None:
        try:
            return [[cell_text(v) for v in row] for row in delimited.read_rows(data)]
        except delimited.NotReadable as error:
            raise FileRefused(str(error)) from None
    import pandas as pd  # here, not at the top: every command and worker would pay its import (0.2 s) at start

    try:
        frame = pd.read_excel(path, engine="calamine", header=None, dtype=str, sheet_name=0)
    except Exception as error:  # calamine raises its own types for every kind of unreadable file
        raise FileRefused("无法读取该文件：请上传 Excel 文件（.xlsx 或 .xls）或 CSV 文件，且文件未损坏、未加密") from error
    return [[cell_text(v) for v in row] for row in frame.to_numpy(dtype=object, na_value=None).tolist()]


def read_table(path: str | Path, columns: tuple[Column, ...]) -> Table:
    values = _load(path)
    if not any(any(row) for row in values):
        raise FileRefused("文件中没有数据：第一个工作表（或 CSV 文件）是空的")
    width = max(len(row) for row in values)
    values = [row + [""] * (width - len(row)) for row in values]  # CSV rows may be ragged
    lookup = {name: column for column in columns for name in column.names()}

    best: tuple[int, dict[int, Column]] | None = None
    for index, row in enumerate(values[:HEADER_SEARCH_ROWS]):
        mapping = {i: lookup[header_key(text)] for i, text in enumerate(row) if header_key(text) in lookup}
        if best is None or len(mapping) > len(best[1]):
            best = (index, mapping)
    if best is None or len(best[1]) == 0:
        wanted = "、".join(c.header for c in columns if c.required)
        raise FileRefused(f"找不到表头：前{HEADER_SEARCH_ROWS}行中没有识别出任何列名，应包含：{wanted}")
    header_index, mapping = best
    mapping = _one_per_key(mapping, values[header_index])
    found = {column.key for column in mapping.values()}
    found |= {column.instead_of for column in mapping.values() if column.instead_of}
    missing = [c.header for c in columns if c.required and c.key not in found]
    if missing:
        raise FileRefused(f"缺少必填列：{'、'.join(missing)}（表头在第{header_index + 1}行）")

    table = Table(header_row=header_index + 1)
    header_texts = values[header_index]
    table.ignored_headers = [t for i, t in enumerate(header_texts)
                             if t and i not in mapping and header_key(t) not in UNREPORTED_HEADERS]
    for index in range(header_index + 1, len(values)):
        row = values[index]
        filled = [t for t in row if t]
        if not filled:
            continue
        if len(filled) == 1 and filled[0].startswith(NOTE_PREFIXES):
            table.skipped += 1
            continue
        if all(header_key(row[i]) in mapping[i].names() for i in mapping if row[i]) and len(filled) >= 2:
            table.skipped += 1  # a header repeated on every printed page
            continue
        table.rows.append((index + 1, {column.key: row[i] for i, column in mapping.items()}))
    return table


def _one_per_key(mapping: dict[int, Column], header: list[str]) -> dict[int, Column]:
    """Where two columns of a file mean the same thing (工作单位 and 部门/机构, 部门执法证 and 省政府执法证),
    keep the one whose header the column prefers (then the leftmost); the other is reported as ignored."""
    chosen: dict[str, int] = {}
    for index, column in mapping.items():
        current = chosen.get(column.key)
        if current is None or column.rank(header[index]) < column.rank(header[current]):
            chosen[column.key] = index
    return {index: mapping[index] for index in sorted(chosen.values())}


# ---- cell parsers: each returns the value or raises ValueError with a Chinese reason -------------

_DATE_PATTERNS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d", "%Y-%m-%d %H:%M:%S")


def parse_date(text: str, label: str) -> date | None:
    if not text:
        return None
    if re.fullmatch(r"\d{5}(\.\d+)?", text):  # an Excel serial day number
        return date(1899, 12, 30) + timedelta(days=int(float(text)))
    for pattern in _DATE_PATTERNS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"{label}“{text}”不是有效日期，应写成 2024-06-30 的形式")


def parse_bool(text: str, label: str, default: bool = False) -> bool:
    from ..vocab import NO, YES

    folded = text.upper()
    if not text:
        return default
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise ValueError(f"{label}应填写“是”或“否”，而不是“{text}”")


def parse_number(text: str, label: str, *, integer: bool = False, low: float = 0, high: float = 1e9):
    if not text:
        return None
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        raise ValueError(f"{label}“{text}”不是数字") from None
    if integer and number != int(number):
        raise ValueError(f"{label}应为整数，而不是“{text}”")
    if not low <= number <= high:
        raise ValueError(f"{label}“{text}”超出合理范围（{low:g}～{high:g}）")
    return int(number) if integer else number


def parse_phone(text: str, label: str, *, mobile: bool = False) -> str:
    if not text:
        return ""
    digits = text.replace(" ", "")
    if mobile:
        if not re.fullmatch(r"1\d{10}", digits):
            raise ValueError(f"{label}“{text}”应为11位手机号码")
    elif not re.fullmatch(r"[\d\-+()（）]{7,20}", digits):
        raise ValueError(f"{label}“{text}”格式不正确")
    return digits


def limit(text: str, label: str, length: int) -> str:
    if len(text) > length:
        raise ValueError(f"{label}过长（{len(text)}字，最多{length}字）")
    return text
