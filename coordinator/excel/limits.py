"""How big a file an import may open: checked before any parser sees it, so a small upload cannot unpack into
gigabytes (a "zip bomb") or a sheet of a million rows hold a server process for a minute."""
from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context

DEFAULT_UNPACKED_MB = 200
DEFAULT_ROWS = 300_000
MAX_MEMBERS = 10_000  # a workbook has a few dozen parts; millions of tiny ones are an attack too
CHUNK = 1024 * 1024
ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
TAIL = 64  # bytes kept from one chunk to the next, so that a tag cut in two is still counted


class TooLarge(Exception):
    """The file is beyond a limit, or not what it claims to be; the message is one Chinese sentence."""


@dataclass(frozen=True)
class Limits:
    unpacked_bytes: int
    rows: int

    @property
    def unpacked_mb(self) -> int:
        return self.unpacked_bytes // (1024 * 1024)


def configured() -> Limits:
    """MAX_UNPACKED_MB and MAX_IMPORT_ROWS from the app's settings (the defaults outside an app)."""
    config = current_app.config if has_app_context() else {}
    return Limits(int(config.get("MAX_UNPACKED_MB", DEFAULT_UNPACKED_MB)) * 1024 * 1024,
                  int(config.get("MAX_IMPORT_ROWS", DEFAULT_ROWS)))


def _split_hint() -> str:
    return "请拆分成几个文件分批导入，或请系统管理员调整上限"


def _too_many_rows(rows: int, limits: Limits, where: str) -> TooLarge:
    return TooLarge(f"{where}有{rows:,}行以上，超过导入上限{limits.rows:,}行，{_split_hint()}")


def check_workbook(path: str | Path, limits: Limits | None = None) -> None:
    """An .xlsx (a ZIP): its parts, inflated for real, stay within the unpacked limit, and no worksheet has more
    rows than the row limit. The sizes a ZIP declares are not trusted: a part may claim a few bytes and inflate
    to gigabytes, so every deflated part is inflated here, in chunks, and counted. Raises TooLarge; a file that
    is no ZIP at all is left for the reader to refuse."""
    limits = limits or configured()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return
    with archive, open(path, "rb") as raw:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise TooLarge(f"文件由{len(members):,}个部分组成，不是正常的 Excel 文件")
        declared = sum(member.file_size for member in members)
        if declared > limits.unpacked_bytes:
            raise _unpacked(declared, limits)
        unpacked = 0
        for member in members:
            unpacked = _inflate(raw, member, unpacked, limits)


def _unpacked(size: int, limits: Limits) -> TooLarge:
    return TooLarge(f"文件解压后约{size / 1024 / 1024:,.0f} MB，超过导入上限{limits.unpacked_mb} MB，{_split_hint()}")


DAMAGED = "文件已损坏，或其压缩内容与声明的大小不符，不是正常的 Excel 文件"


def _chunks(raw, member: zipfile.ZipInfo):
    """The part's stored bytes, read straight from the file after its local header."""
    raw.seek(member.header_offset)
    header = raw.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise TooLarge(DAMAGED)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    raw.seek(member.header_offset + 30 + name_length + extra_length)
    left = member.compress_size
    while left > 0:
        chunk = raw.read(min(CHUNK, left))
        if not chunk:
            break
        left -= len(chunk)
        yield chunk


def _inflate(raw, member: zipfile.ZipInfo, unpacked: int, limits: Limits) -> int:
    """Inflate one part chunk by chunk, never holding more than a chunk, counting bytes (and a worksheet's rows)."""
    if member.flag_bits & 0x1:
        raise TooLarge("文件的部分内容被加密，不是正常的 Excel 文件（加密的工作簿请先解除密码）")
    if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise TooLarge(DAMAGED)
    counter = _RowCounter(member.filename, limits)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if member.compress_type == zipfile.ZIP_DEFLATED else None
    try:
        for chunk in _chunks(raw, member):
            pending = chunk
            while pending:
                if inflater is None:
                    out, pending = pending, b""
                else:
                    out = inflater.decompress(pending, CHUNK)
                    pending = inflater.unconsumed_tail
                unpacked += len(out)
                if unpacked > limits.unpacked_bytes:
                    raise _unpacked(unpacked, limits)
                counter.feed(out)
    except zlib.error:
        raise TooLarge(DAMAGED) from None
    return unpacked


class _RowCounter:
    """Counts <row> elements of a worksheet's XML as it streams by (a tag may be cut between two chunks)."""

    def __init__(self, name: str, limits: Limits):
        self.active = name.startswith("xl/worksheets/") and name.endswith(".xml")
        self.limits, self.rows, self.tail = limits, 0, b""

    def feed(self, data: bytes) -> None:
        if not self.active or not data:
            return
        text = self.tail + data
        self.rows += len(ROW_TAG.findall(text)) - len(ROW_TAG.findall(self.tail))
        self.tail = text[-TAIL:]
        if self.rows > self.limits.rows:
            raise _too_many_rows(self.limits.rows, self.limits, "工作表")


def check_text(data: bytes, limits: Limits | None = None) -> None:
    """A CSV file: no more lines than the row limit (it is already in memory, within the upload size)."""
    limits = limits or configured()
    lines = data.count(b"\n")
    if lines > limits.rows + 1:  # the header line besides the rows
        raise _too_many_rows(limits.rows, limits, "文件")
