"""The seed rule and its check, on published material alone (no app, no database)."""
from __future__ import annotations

import hashlib
import json

from solver import seed
from solver.__main__ import main

HASH = hashlib.sha256(b'{"strata":[],"subjects":[]}').hexdigest()
VALUES = {"office": "a" * 64, "dept:yjj": "b" * 64, "dept:scj": "c" * 64}


def material(**changes) -> dict:
    rows = [{"slot": s, "commitment": hashlib.sha256(v.encode()).hexdigest(), "value": v} for s, v in VALUES.items()]
    rows.append({"slot": "witness", "commitment": hashlib.sha256(b"d" * 64).hexdigest(), "value": None})
    reveals = "".join(f"\n{s}:{VALUES[s]}" for s in sorted(VALUES))
    expected = hashlib.sha256(f"liancha-seed-1\n{HASH}{reveals}".encode()).hexdigest()
    return {"rule": "liancha-seed-1", "locked_sha256": HASH, "seed": expected, "contributions": rows, **changes}


def test_the_seed_is_the_documented_hash_and_a_silent_party_is_left_out():
    assert seed.verify(material()) == []
    assert seed.combine(HASH, VALUES) == material()["seed"]
    assert seed.combine(HASH, dict(reversed(VALUES.items()))) == material()["seed"]  # the order is the slots'


def test_every_reveal_is_checked_against_its_commitment():
    tampered = material()
    tampered["contributions"][1]["value"] = "e" * 64
    assert "dept:yjj：揭示值与承诺不符" in seed.verify(tampered)
    assert any("种子与按规则重新计算" in p for p in seed.verify(material(seed="0" * 64)))
    lonely = material(contributions=material()["contributions"][:1])
    assert any("揭示值不足" in p for p in seed.verify(lonely))


def test_verify_seed_on_a_download(tmp_path):
    path = tmp_path / "draw.json"
    download = {"input": {"strata": [], "subjects": [], "seed": material()["seed"]}, "locked_sha256": HASH,
                "seed_round": material(), "result": None}
    path.write_text(json.dumps(download), encoding="utf-8")
    assert main(["verify-seed", str(path)]) == 0
    download["input"]["subjects"] = [{"id": "x", "stratum": "s"}]  # the input changed after it was locked
    path.write_text(json.dumps(download), encoding="utf-8")
    assert main(["verify-seed", str(path)]) == 1
    path.write_text("[]", encoding="utf-8")
    assert main(["verify-seed", str(path)]) == 2  # not a downloaded draw: one line, exit 2
