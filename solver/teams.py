"""Stage 2: joint teams — who inspects which subject, with whom, on which day — as a seeded random draw.

The solve runs in units, each handing the next a frozen dataclass:

    parse (instance.py) → TeamsInstance
    context.py          → SolveContext: seeded orders of subjects and inspectors, department problems
    screening.py        → Screening: who could be staffed alone (and on which days), why not the others
    staffing.py         → Staffing: which subjects are staffed and on which dates (phase A; the joint
                          model in joint.py, dates in dates.py and day_choice.py), and what no
                          assignment can exceed
    drawing.py          → Draw: who staffs them, drawn with exact capped pair probabilities (phase B)
    report.py           → the result document, with a reason for every subject left out

Inspectors are numbered in a seeded random order before any of this, so inspectors in symmetric
positions are equally likely; every random choice comes from the seed alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from .common import collection_paused
from .context import SolveContext
from .drawing import draw_teams
from .instance import parse_teams
from .report import result_document
from .screening import screen
from .staffing import choose_staffed


@dataclass(frozen=True)
class TeamsOutcome:
    """The result document, and what goes to standard error beside it."""
    result: dict
    upper_bound: int | None  # no assignment staffs more subjects; None where no model bounded it


def solve_teams(problem: dict) -> dict:
    return solve_teams_outcome(problem).result


def solve_teams_outcome(problem: dict) -> TeamsOutcome:
    with collection_paused():
        inst = parse_teams(problem)
        del problem  # the instance holds all the solve needs: a caller that handed the input over frees it here
        ctx = SolveContext.build(inst)
        screening = screen(ctx)
        staffing = choose_staffed(ctx, screening)
        draw = draw_teams(ctx, staffing.staffed, staffing.dates, staffing.dense, staffing.capped_flows,
                          staffing.fixed_teams)
        return TeamsOutcome(result_document(ctx, screening, staffing, draw), staffing.upper_bound)
