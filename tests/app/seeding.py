"""Helpers that play a seed round the way its parties do: each makes a secret value, commits to its SHA-256,
and reveals it once the input is locked (on the web, as a browser would post it; or through the services)."""
from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from coordinator.draws import services as rounds
from coordinator.draws.models import SeedRound
from coordinator.extensions import db


def commitment(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def latest_round() -> SeedRound:
    return db.session.scalar(sa.select(SeedRound).order_by(SeedRound.id.desc()))


def web_round(office, parties: dict, cid: int, kind: str, *, skip_reveal=(), **fields) -> SeedRound:
    """Open a round as the office, commit and reveal for each slot in `parties` (slot → signed-in client),
    then run the draw. Slots in `skip_reveal` commit but never reveal (the test then passes the deadline)."""
    response = office.post(f"/campaigns/{cid}/rounds", data={"kind": kind, "reveal_hours": "24", **fields})
    assert response.status_code in (302, 303), response.data.decode()[-2000:]
    round_id = latest_round().id
    values = {slot: secrets.token_hex(32) for slot in parties}
    for slot, client in parties.items():
        response = client.post(f"/campaigns/{cid}/rounds/{round_id}/commit",
                               data={"slot": slot, "commitment": commitment(values[slot])})
        assert response.status_code in (302, 303), response.data.decode()[-2000:]
    db.session.expire_all()
    round_ = db.session.get(SeedRound, round_id)
    if round_.commit_closed_at is None:
        office.post(f"/campaigns/{cid}/rounds/{round_id}/close")
    for slot, client in parties.items():
        if slot not in skip_reveal:
            response = client.post(f"/campaigns/{cid}/rounds/{round_id}/reveal",
                                   data={"slot": slot, "value": values[slot]})
            assert response.status_code in (302, 303)
    db.session.expire_all()
    round_ = db.session.get(SeedRound, round_id)
    round_.values = values
    return round_


def service_round(campaign, kind: str, users: dict, office_user, **options):
    """The same through the services: every slot in `users` (slot → user) commits and reveals; returns what
    the draw returns, and the round."""
    round_ = rounds.open_round(campaign, kind, office_user, **options)
    values = {slot: secrets.token_hex(32) for slot in users}
    for slot, user in users.items():
        rounds.commit(round_, slot, commitment(values[slot]), user)
    if round_.commit_closed_at is None:
        rounds.close(round_, office_user)
    for slot, user in users.items():
        rounds.reveal(round_, slot, values[slot], user)
    return rounds.run_round(round_, office_user), round_
