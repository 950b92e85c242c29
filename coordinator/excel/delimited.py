"""Read a CSV export (UTF-8 with or without BOM, GBK/GB18030, UTF-16) into rows of text, guessing nothing silently.

Many government systems export .csv in GBK; others in UTF-8, with or without the BOM Excel adds. The encoding is
found from the bytes alone: a BOM says it; else strict UTF-8 (which text in another encoding almost never passes);
else strict GB18030, accepted only when the characters look like Chinese text, since GB18030 decodes the bytes
of many other encodings (Latin-1, Big5, Shift-JIS) into rare characters. Anything else is refused in one Chinese
sentence rather than imported as mojibake.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter

DELIMITERS = (",", "\t", ";")
SNIFF_LINES = 15  # as many lines as the header search looks at
SAMPLE_CHARS = 200_000  # the plausibility of GB18030 text is judged on this much of it

ENCODING_UNKNOWN = (
    "无法识别 CSV 文件的字符编码（支持 UTF-8 和 GBK/GB18030）：请在 Excel 或 WPS 中另存为“CSV UTF-8”"
    "或 Excel 工作簿（.xlsx）后重新上传"
)
NOT_TEXT = "无法读取该文件：它既不是 Excel 文件（.xlsx 或 .xls），也不是 CSV 文本文件，或者文件已损坏"
HTML_PAGE = "该文件是网页（HTML）或 XML 格式，不是真正的 Excel 文件：请用 Excel 或 WPS 打开后另存为 .xlsx 或 .csv 再上传"

# Control characters never typed into a cell: their presence means binary data, not text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class NotReadable(Exception):
    """The bytes are not a CSV this reader can use; the message is one Chinese sentence."""


def _is_chinese_text(text: str) -> bool:
    """Whether GB18030-decoded text looks like what a county exports rather than another encoding misread.

    Chinese text in GBK keeps almost entirely to the GB2312 characters (the common 6,763 hanzi and punctuation);
    a few rare name characters are fine. Latin-1, Big5 or Shift-JIS bytes read as GB18030 come out as a run of
    characters outside it (GBK's rare extensions, the private use area, four-byte sequences).
    """
    unusual = 0
    others = 0
    for char, times in Counter(text[:SAMPLE_CHARS]).items():
        if char.isascii():
            continue
        others += times
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            unusual += times
    return unusual * 10 <= others


def decode(data: bytes) -> str:
    """The text of a CSV file, or NotReadable naming why not."""
    if data.startswith(codecs.BOM_UTF8):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)  # Excel's "Unicode text"
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        text = text.rstrip("\x1a")  # the end-of-file mark of old DOS programs
        if _CONTROL.search(text):
            raise NotReadable(NOT_TEXT)
        if encoding == "gb18030" and not _is_chinese_text(text):
            break
        return text
    if b"\x00" in data[:4096]:
        raise NotReadable(NOT_TEXT)
    raise NotReadable(ENCODING_UNKNOWN)


def _delimiter(text: str) -> str:
    """The separator used most in the first lines (a comma when none is): commas, tabs or semicolons."""
    head = "\n".join(text.splitlines()[:SNIFF_LINES])
    counts = {d: head.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first of equals: the comma
    return best if counts[best] else ","


def read_rows(data: bytes) -> list[list[str]]:
    """Every record of the file as a list of cells, blank lines kept as empty rows so that row numbers are the
    ones Excel or WPS shows when the file is opened there (a cell with a line break stays in one row)."""
    text = decode(data)
    if text.lstrip()[:200].lower().startswith(("<!doctype html", "<html", "<table", "<?xml")):
        raise NotReadable(HTML_PAGE)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        return list(reader)
    except csv.Error as error:
        raise NotReadable(f"CSV 文件第{reader.line_num}行格式有误（如某个单元格过长），无法读取") from error
