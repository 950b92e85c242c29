"""Cleaning of text as county staff type it: full-width characters, stray spaces, list separators."""
from __future__ import annotations

import re
import unicodedata

_LIST_SEPARATORS = re.compile(r"[、，,；;／/\n]+")
_OPENING, _CLOSING = "(（[【《〈“‘", ")）]】》〉”’"


def clean(value: object) -> str:
    """NFKC-fold (full-width → half-width), collapse runs of white space (incl. U+3000), trim."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join(text.split())


def split_list(text: str | None) -> list[str]:
    """Split "a、b，c;d" style lists into their trimmed parts; a separator inside brackets belongs to its part
    ("烟花爆竹经营（批发、零售）许可证" is one licence)."""
    parts, depth, start = [], 0, 0
    text = text or ""
    for index, char in enumerate(text):
        if char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth = max(depth - 1, 0)
        elif depth == 0 and _LIST_SEPARATORS.fullmatch(char):
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [part for part in (clean(p) for p in parts) if part]


def join_list(parts) -> str:
    return "、".join(parts)
