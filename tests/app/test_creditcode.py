"""The GB 32100-2015 credit-code validator on real and corrupted codes."""
import pytest

from coordinator.directories import creditcode

# Published codes of real enterprises (from their public business licences).
REAL_CODES = ["91350100M000100Y43", "91110000600037341L", "91310000MA1FL1MMXL", "91110108551385082Q"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert creditcode.problem(code) is None


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_single_character_corruption_is_caught(code):
    for position in range(18):
        for replacement in creditcode.CHARSET:
            if replacement == code[position]:
                continue
            corrupted = code[:position] + replacement + code[position + 1:]
            assert creditcode.problem(corrupted) is not None, corrupted


def test_adjacent_transposition_is_caught():
    code = REAL_CODES[0]
    for i in range(17):
        if code[i] != code[i + 1]:
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            assert creditcode.problem(swapped) is not None


def test_normalise_trims_folds_width_and_case():
    assert creditcode.normalise("　９１３５０１００ｍ０００１００ｙ４３ ") == "91350100M000100Y43"
    assert creditcode.is_valid(" 91350100m000100y43\t")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "为空"),
        ("91350100M000100Y4", "应为18位，实际为17位"),
        ("91350100M000100YI3", "不允许的字符：I"),
        ("91350100M000100Y44", "校验位错误（应为3）"),
    ],
)
def test_problem_explains_in_chinese(raw, reason):
    assert reason in creditcode.problem(creditcode.normalise(raw))
