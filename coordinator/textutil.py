"""Cleaning of text as county staff type it: full-width characters, stray spaces, list separators."""
from __future__ import annotations

import re
import unicodedata

_LIST_SEPARATORS = re.compile(r"[、，,；;／/\n]+")


def clean(value: object) -> str:
    """NFKC-fold (full-width → half-width), collapse runs of white space (incl. U+3000), trim."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join(text.split())


def split_list(text: str | None) -> list[str]:
    """Split "a、b，c;d" style lists into their trimmed parts."""
    return [part for part in (clean(p) for p in _LIST_SEPARATORS.split(text or "")) if part]


def join_list(parts) -> str:
    return "、".join(parts)
