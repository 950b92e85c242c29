"""How big a file an import may open: checked before any parser sees it, so a small upload cannot unpack into
gigabytes (a "zip bomb") or a sheet of a million rows hold a server process for a minute."""
from __future__ import annotations

import re
import zipfile
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
    """The file is beyond a limit; the message is one Chinese sentence."""


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
    """An .xlsx (a ZIP): its parts, unpacked for real (a part may lie about its size), stay within the limit,
    and no worksheet has more rows than the limit. Raises TooLarge; a broken ZIP is left for the reader to refuse."""
    limits = limits or configured()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise TooLarge(f"文件由{len(members):,}个部分组成，不是正常的 Excel 文件")
        declared = sum(member.file_size for member in members)
        if declared > limits.unpacked_bytes:
            raise _unpacked(declared, limits)
        unpacked = 0
        for member in members:
            unpacked = _read_member(archive, member, unpacked, limits)


def _unpacked(size: int, limits: Limits) -> TooLarge:
    return TooLarge(f"文件解压后约{size / 1024 / 1024:,.0f} MB，超过导入上限{limits.unpacked_mb} MB，{_split_hint()}")


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, unpacked: int, limits: Limits) -> int:
    """Unpack one part in chunks, counting its bytes (and its rows, for a worksheet) against the limits."""
    counting = member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")
    rows, tail = 0, b""
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(CHUNK):
                unpacked += len(chunk)
                if unpacked > limits.unpacked_bytes:
                    raise _unpacked(unpacked, limits)
                if counting:
                    text = tail + chunk
                    rows += len(ROW_TAG.findall(text)) - len(ROW_TAG.findall(tail))
                    tail = text[-TAIL:]
                    if rows > limits.rows:
                        raise _too_many_rows(limits.rows, limits, "工作表")
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
        pass  # damaged, encrypted or of an unknown compression: the reader refuses it with its own message
    return unpacked


def check_text(data: bytes, limits: Limits | None = None) -> None:
    """A CSV file: no more lines than the row limit (it is already in memory, within the upload size)."""
    limits = limits or configured()
    lines = data.count(b"\n")
    if lines > limits.rows + 1:  # the header line besides the rows
        raise _too_many_rows(limits.rows, limits, "文件")
