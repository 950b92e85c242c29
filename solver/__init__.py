"""联查通 solver: random subject draw (stage 1) and joint-team formation (stage 2), replayable and checkable."""

from .check import check_teams
from .common import SOLVER_VERSION as __version__
from .common import SolverInputError, canonical_json, sha256_hex
from .draw import draw_subjects, inclusion_probabilities
from .teams import solve_teams

__all__ = [
    "SolverInputError", "__version__", "canonical_json", "check_teams", "draw_subjects", "inclusion_probabilities",
    "sha256_hex", "solve_teams",
]
