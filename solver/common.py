"""Shared plumbing for both stages: input errors, canonical hashing, seeded generators, output."""

from __future__ import annotations

import contextlib
import errno
import gc
import hashlib
import json
import math
from json.encoder import encode_basestring
from operator import itemgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

SOLVER_VERSION = "0.2.0"

# A count at least this large — a capacity, visits per day, a team's size — acts as exactly this one: more than
# any instance could use (a million subjects is 2^20), and small enough that sums of many stay within int64.
UNBOUNDED = 1 << 40

# Probabilities are written with this many decimals so the output text is the same on every machine.
DECIMALS = 10


class SolverInputError(ValueError):
    """Malformed input; the message is one line and names the offending record."""


# Why the operating system refused a file, in Chinese (the web app's command line says it the same way).
_OS_REASONS = {
    errno.ENOENT: "文件或目录不存在",
    errno.ENOTDIR: "路径中有一段不是目录",
    errno.EISDIR: "这是一个目录",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.ENAMETOOLONG: "文件名过长",
    errno.EROFS: "只读文件系统",
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "超出磁盘配额",
    errno.ELOOP: "符号链接层数过多",
}


def one_line(value: object, limit: int) -> str:
    """`value` as it may appear in a one-line message: control characters escaped, the middle of a long one cut."""
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(value))
    return text if len(text) <= limit else f"{text[:limit // 2]}…{text[-(limit // 2):]}"


def os_reason(error: BaseException) -> str:
    """Why the operating system refused, in Chinese."""
    if isinstance(error, OSError) and error.errno is not None:
        return _OS_REASONS.get(error.errno, f"系统错误 {errno.errorcode.get(error.errno, error.errno)}")
    return "系统错误"


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: object) -> str:
    """The canonical JSON of the contract: keys sorted, separators `,` and `:`, non-ASCII kept.

    Exactly `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`, with the
    encoder built once.
    """
    return _ENCODER.encode(value)


def sha256_hex(text: str) -> str:
    """SHA-256 of the UTF-8 bytes of `text`, as 64 lowercase hex digits: the one hash of the project."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def input_sha256(problem: dict, columns: dict[str, dict[str, list] | None] | None = None) -> str:
    """SHA-256 of the UTF-8 canonical JSON of the input, as the contract defines it.

    Byte for byte the hash of `canonical_json(problem).encode()`, computed piecewise: the top-level
    keys one by one, and a long list of flat records (a million subjects) column by column
    (`_record_chunks`), several times faster than the encoder's record-by-record walk. Anything
    else is encoded by `canonical_json` itself. `columns` may hold, for a key, the
    `record_columns` of its list that the caller has already taken.
    """
    digest = hashlib.sha256()
    if type(problem) is not dict or not all(type(key) is str for key in problem):
        digest.update(canonical_json(problem).encode("utf-8"))
        return digest.hexdigest()
    digest.update(b"{")
    for k, key in enumerate(sorted(problem)):
        digest.update((("," if k else "") + encode_basestring(key) + ":").encode("utf-8"))
        value = problem[key]
        chunks = None
        if type(value) is list and len(value) >= COLUMNAR_MIN:
            table = (columns or {}).get(key) or record_columns(value)
            chunks = _record_chunks(table, len(value)) if table else None
        for chunk in chunks or (canonical_json(value),):
            digest.update(chunk.encode("utf-8"))
    digest.update(b"}")
    return digest.hexdigest()


COLUMNAR_MIN = 64  # shorter lists are not worth setting up columns for
CHUNK = 1 << 15  # records per piece of text handed to the hash
# What `encode_basestring` escapes: control characters, the quote and the backslash (as UTF-8 bytes,
# which no multi-byte character contains).
_ESCAPED = bytes(range(0x20)) + b'"\\'
_SCALARS = {bool, type(None), int, float}


def record_columns(records: list) -> dict[str, list] | None:
    """key → the values, for a list of dicts that all have the same (string) keys, in key order; else None."""
    first = records[0] if records else None
    if type(first) is not dict or not first or not all(type(key) is str for key in first):
        return None
    keys = sorted(first)
    if set(map(type, records)) != {dict} or set(map(len, records)) != {len(keys)}:
        return None
    try:  # every record has len(keys) keys, so holding all of these means the same keys
        return {key: list(map(itemgetter(key), records)) for key in keys}
    except KeyError:
        return None


def _record_chunks(table: dict[str, list], n: int) -> list[str] | None:
    """The canonical JSON of n records given by their columns (`record_columns`), in pieces.

    None unless every value is a scalar (the caller encodes the list whole). Each column is encoded
    once (a column of plain strings not even that: its quotes go into the literal text between
    values); then each CHUNK records' pieces are interleaved with the literal text and joined.
    """
    keys = list(table)
    columns = [_encode_column(values) for values in table.values()]
    if None in columns:
        return None
    # The literal text before each column's values and after the last, with the quotes of bare strings.
    literals = ["{" + encode_basestring(keys[0]) + ":"]
    literals += ["," + encode_basestring(key) + ":" for key in keys[1:]] + ["},"]
    for c, (_, bare) in enumerate(columns):
        if bare:
            literals[c] += '"'
            literals[c + 1] = '"' + literals[c + 1]
    stride = 2 * len(keys) + 1
    chunks = ["["]
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        pieces: list[str | None] = [None] * (m * stride)
        pieces[0::stride] = [literals[0]] * m
        for c, (values, _) in enumerate(columns):
            pieces[2 * c + 1::stride] = values[start:start + m]
            pieces[2 * c + 2::stride] = [literals[c + 1]] * m
        chunks.append("".join(pieces))
    chunks[-1] = chunks[-1][:-1] + "]"  # the last record's "}," becomes "}]"
    return chunks


def _encode_column(values: list) -> tuple[list[str], bool] | None:
    """Each value's canonical JSON and whether it is a bare string still to be quoted; None if not scalar."""
    try:
        text = "".join(values).encode("utf-8")  # only strings join (the encoder writes a str subclass as a str)
    except TypeError:
        text = None
    if text is not None:
        if len(text.translate(None, _ESCAPED)) == len(text):
            return values, True
        return list(map(encode_basestring, values)), False
    types = set(map(type, values))
    if not types <= _SCALARS:
        return None
    # Few distinct values (weights, flags): encode each once. The type is part of the key, so 1,
    # 1.0 and True stay apart; 0.0 and -0.0 are equal keys with different texts, so a column with
    # a float zero is not keyed.
    keys = values if len(types) == 1 else list(zip(map(type, values), values))
    distinct = dict.fromkeys(keys)
    if len(distinct) * 4 <= len(values):
        firsts = list(distinct) if keys is values else [key[1] for key in distinct]
        if not any(type(v) is float and v == 0.0 for v in firsts):
            text = dict(zip(distinct, map(canonical_json, firsts)))
            return list(map(text.__getitem__, keys)), False
    # The encoder writes an int, and a finite float, exactly as repr does.
    if types == {int} or types == {float} and all(map(math.isfinite, values)):
        return list(map(repr, values)), False
    return None


def generator(seed: str, *purpose: str) -> np.random.Generator:
    """A random generator derived from the seed and a purpose label only (never clock or global state).

    Each purpose (a stratum, a department, a phase) gets its own stream, so adding a stratum or
    a department does not shift the draws of the others.
    """
    label = json.dumps([seed, *purpose], ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(label.encode("utf-8")).digest()
    import numpy as np  # here, not at the top: hashing and one-line messages (the app's start) need no NumPy

    return np.random.Generator(np.random.PCG64(int.from_bytes(digest, "big")))


def probability(value: float) -> float:
    return round(float(value), DECIMALS)


def dumps(result: dict) -> str:
    """The byte-stable text of a result: fixed key order (insertion), UTF-8, one trailing newline."""
    return json.dumps(result, ensure_ascii=False, allow_nan=False) + "\n"


# --- small validators shared by both stages' parsers -------------------------------------------------

def where(path: str, record: object) -> str:
    """`inspectors[3]（id=yjj-09）` — how error messages name a record."""
    if isinstance(record, dict) and isinstance(record.get("id"), str):
        return f"{path}（id={record['id']}）"
    return path


def require_mapping(value: object, path: str) -> dict:
    if not isinstance(value, dict):
        raise SolverInputError(f"{path}: 应为 JSON 对象")
    return value


def require_list(value: object, path: str) -> list:
    if not isinstance(value, list):
        raise SolverInputError(f"{path}: 应为列表")
    return value


def require_id(record: dict, path: str, field: str = "id") -> str:
    value = record.get(field)
    if field not in record:
        raise SolverInputError(f"{where(path, record)}: 缺少字段 \"{field}\"")
    if not isinstance(value, str) or not value.strip():
        raise SolverInputError(f"{where(path, record)}: \"{field}\" 应为非空字符串")
    return value


REQUIRED = object()


def require_int(record: dict, path: str, field: str, *, minimum: int, default: object = REQUIRED) -> int | None:
    value = record.get(field)
    if value is None:
        if default is REQUIRED:
            raise SolverInputError(f"{where(path, record)}: 缺少字段 \"{field}\"")
        return default  # type: ignore[return-value]
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or isinstance(value, float) and not value.is_integer():  # (an int may be beyond any float)
        shown = json.dumps(value, ensure_ascii=False)
        raise SolverInputError(f"{where(path, record)}: \"{field}\" 应为整数，实际为 {shown}")
    if value < minimum:
        raise SolverInputError(f"{where(path, record)}: \"{field}\" 不能小于 {minimum}，实际为 {value}")
    return int(value)


def require_number(record: dict, path: str, field: str) -> float:
    value = record[field]
    number = as_float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
    if not math.isfinite(number):
        shown = one_line(json.dumps(value, ensure_ascii=False), 60)
        raise SolverInputError(f"{where(path, record)}: \"{field}\" 应为有限的数，实际为 {shown}")
    return number


def as_float(value: int | float) -> float:
    """The number as a float; an integer beyond every float (more than 308 digits) as infinity."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def require_bool(record: dict, path: str, field: str, default: bool) -> bool:
    value = record.get(field, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise SolverInputError(f"{where(path, record)}: \"{field}\" 应为 true 或 false")
    return value


def require_seed(problem: dict) -> str:
    if "seed" not in problem:
        raise SolverInputError("seed: 缺少字段 \"seed\"")
    seed = problem["seed"]
    if not isinstance(seed, str) or not seed:
        raise SolverInputError("seed: 应为非空字符串")
    return seed


@contextlib.contextmanager
def collection_paused():
    """Pause the cyclic garbage collector while building large acyclic structures.

    A million freshly parsed input records make every automatic collection walk them all; the
    solver creates no reference cycles, so pausing it changes nothing but the time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
