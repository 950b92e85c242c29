"""Campaign workflow services, one module per stage; every public name is importable from here.

items (create, collect items, scope and coverage) → draws (lock, draw, replace, replay) → confirmation (each
department within one working day) → teams (the team draw, recusal) → dispatch.
"""
from .common import CampaignError
from .confirmation import confirm, flagged, pending_confirmations, pending_counts
from .dispatch import dispatch
from .draws import (
    SOLVE,
    accept_shortfall,
    dropped,
    lock_replacement,
    lock_subject_draw,
    replaceable,
    replacement_draw,
    replay,
    run_replacement,
    run_subject_draw,
    subject_problem,
)
from .items import attach_scheme, coverage, create_campaign, scheme_problem, in_scope_query, reach, submit_items, visiting_departments
from .teams import (
    check_team_draw_ready,
    filter_teams,
    lock_and_run_team_draw,
    lock_reseat,
    lock_team_draw,
    pair_probabilities,
    pair_probabilities_csv,
    recuse,
    run_reseat,
    run_team_draw,
    team_problem,
    unstaffed,
    visit_dates,
    visit_days,
    withdraw,
)

__all__ = [
    "CampaignError",
    "SOLVE",
    "accept_shortfall",
    "attach_scheme",
    "check_team_draw_ready",
    "confirm",
    "coverage",
    "create_campaign",
    "dispatch",
    "dropped",
    "filter_teams",
    "flagged",
    "in_scope_query",
    "lock_and_run_team_draw",
    "lock_replacement",
    "lock_reseat",
    "lock_subject_draw",
    "lock_team_draw",
    "pair_probabilities",
    "pair_probabilities_csv",
    "pending_confirmations",
    "pending_counts",
    "reach",
    "recuse",
    "replaceable",
    "replacement_draw",
    "replay",
    "run_replacement",
    "run_reseat",
    "run_subject_draw",
    "run_team_draw",
    "scheme_problem",
    "subject_problem",
    "submit_items",
    "team_problem",
    "unstaffed",
    "visit_dates",
    "visit_days",
    "visiting_departments",
    "withdraw",
]
