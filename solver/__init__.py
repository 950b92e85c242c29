"""联查通 solver: random subject draw (stage 1) and joint-team formation (stage 2), replayable and checkable."""

from .common import SOLVER_VERSION as __version__
from .common import SolverInputError, canonical_json, sha256_hex
from .draw import draw_subjects, inclusion_probabilities


def __getattr__(name: str):
    """Stage 2 (OR-Tools, and pandas behind it: half a second) is imported when first used, so a program that only
    hashes, draws enterprises or checks a seed starts without it. `from solver import solve_teams` still works."""
    if name == "solve_teams":
        from .teams import solve_teams
        return solve_teams
    if name == "check_teams":
        from .check import check_teams
        return check_teams
    raise AttributeError(f"module 'solver' has no attribute {name!r}")

__all__ = [
    "SolverInputError", "__version__", "canonical_json", "check_teams", "draw_subjects", "inclusion_probabilities",
    "sha256_hex", "solve_teams",
]
