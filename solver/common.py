"""Shared plumbing for both stages: input errors, canonical hashing, seeded generators, output."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import math

import numpy as np

SOLVER_VERSION = "0.1.0"

# Probabilities are written with this many decimals so the output text is the same on every machine.
DECIMALS = 10


class SolverInputError(ValueError):
    """Malformed input; the message is one line and names the offending record."""


def input_sha256(problem: dict) -> str:
    """SHA-256 of the canonical JSON of the input, as the contract defines it."""
    text = json.dumps(problem, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def generator(seed: str, *purpose: str) -> np.random.Generator:
    """A random generator derived from the seed and a purpose label only (never clock or global state).

    Each purpose (a stratum, a department, a phase) gets its own stream, so adding a stratum or
    a department does not shift the draws of the others.
    """
    label = json.dumps([seed, *purpose], ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(label.encode("utf-8")).digest()
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
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
        shown = json.dumps(value, ensure_ascii=False)
        raise SolverInputError(f"{where(path, record)}: \"{field}\" 应为整数，实际为 {shown}")
    if value < minimum:
        raise SolverInputError(f"{where(path, record)}: \"{field}\" 不能小于 {minimum}，实际为 {value}")
    return int(value)


def require_number(record: dict, path: str, field: str) -> float:
    value = record[field]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SolverInputError(f"{where(path, record)}: \"{field}\" 应为有限的数，实际为 {json.dumps(value, ensure_ascii=False)}")
    return float(value)


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
