"""联查通 solver: random subject draw (stage 1) and joint-team formation (stage 2), replayable and checkable."""

from .common import SOLVER_VERSION as __version__
from .common import SolverInputError, canonical_json, sha256_hex


def __getattr__(name: str):
    """Each stage is imported when first used: stage 1 (NumPy, ≈ 0.1 s) for a draw of enterprises, stage 2
    (OR-Tools, and pandas behind it: half a second) for a team, so a program that only hashes or checks a seed —
    and the app, at every start — loads neither. `from solver import solve_teams` still works."""
    if name in ("draw_subjects", "inclusion_probabilities"):
        from . import draw
        return getattr(draw, name)
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
