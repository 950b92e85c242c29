"""An enterprise's register code: the unified social credit code (统一社会信用代码, GB 32100-2015), or for
enterprises registered before it and never re-issued a licence, the 15-digit registration number (注册号, whose
last digit is a GB/T 17710 / ISO 7064 MOD 11,10 check digit). Normalise, check, and say which one a code is."""
from __future__ import annotations

import unicodedata

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # I, O, S, V, Z are never used
_VALUE = {c: i for i, c in enumerate(CHARSET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

CREDIT_CODE = "统一社会信用代码"
REGISTRATION_NO = "注册号"


def normalise(raw: object) -> str:
    """Trim (full-width spaces too), fold full-width characters and upper-case."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw))
    return "".join(text.split()).upper()


def check_character(first17: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def registration_check_digit(first14: str) -> str:
    """ISO 7064 MOD 11,10 (GB/T 17710), as the 15-digit registration number uses it."""
    product = 10
    for digit in first14:
        product = ((product % 11 + int(digit)) % 10 or 10) * 2
    return str((11 - product % 11) % 10)


def kind(code: str) -> str:
    """Which identifier `code` is, in the words of a licence: 统一社会信用代码 or 注册号."""
    return REGISTRATION_NO if len(code) == 15 and code.isdigit() else CREDIT_CODE


def _registration_problem(code: str) -> str | None:
    if not code.isdigit():
        return f"15位注册号只能由数字组成：{code}"
    expected = registration_check_digit(code[:14])
    if code[14] != expected:
        return f"注册号校验位错误（应为{expected}）"
    return None


def problem(code: str) -> str | None:
    """Why `code` (already normalised) is neither a valid credit code nor a valid 15-digit registration
    number, in Chinese; None when it is one of them."""
    if not code:
        return "统一社会信用代码为空"
    if len(code) == 15:
        return _registration_problem(code)
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实际为{len(code)}位（未换发新照的企业可填15位注册号）"
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        return f"统一社会信用代码含有不允许的字符：{''.join(bad)}"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码校验位错误（应为{expected}）"
    return None


def is_valid(code: str) -> bool:
    return problem(normalise(code)) is None
