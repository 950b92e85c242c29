"""The monthly plan's proposal is a real random draw (双随机): solver.draw_subjects with a fresh seed from `secrets`,
stored whole on the plan (input, seed, input hash, result, solver version, who and when), replayable by anyone,
every proposal in the audit log. Under the old code the list was the candidates sorted by SHA-256 of month,
department and credit code: a fixed order anyone could compute months ahead."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

import solver
from coordinator.audit.models import AuditEntry
from coordinator.auth.models import User
from coordinator.coverage.models import CoverageRule
from coordinator.directories.models import Inspector, Subject
from coordinator.extensions import db
from coordinator.plans import monthly
from coordinator.plans import services as plans
from coordinator.plans.models import MonthlyPlan
from coordinator.states import MonthlyPlanStatus
from solver import canonical_json, sha256_hex
from solver.common import SOLVER_VERSION
from tests.app.county import PASSWORD, build_county, credit_code


@pytest.fixture
def county(ctx):
    """The test county with an annual-plan task for yjj running through the first quarter of 2025 and only two
    certified inspectors: a workload of 9 out of the 40 enterprises its items reach."""
    county = build_county()
    yjj = county["yjj"]
    plan = plans.create_plan(2025, yjj, "河清县")
    db.session.flush()
    plans.add_task(plan, {"name": "一季度抽查", "task_type": "定向", "ratio": "20%", "items": "", "scope": "全部",
                          "start_month": "2025-01", "end_month": "2025-03"}, [])
    for inspector in db.session.scalars(sa.select(Inspector).where(Inspector.department_id == yjj.id)
                                        .order_by(Inspector.id).offset(2)):
        inspector.cert_no = None
    db.session.commit()
    return county


def _user(name):
    return db.session.scalar(sa.select(User).where(User.username == name))


def _codes(plan):
    return sorted(e.subject.credit_code for e in plan.entries)


def test_the_draw_is_stored_and_replays_to_the_same_list(county):
    admin = _user("yjj_admin")
    plan = monthly.propose(county["yjj"], "2025-02", admin)
    db.session.commit()
    assert plan.workload == 9 and len(plan.entries) == 9
    assert len(plan.draw_seed) == 32 and plan.drawn_by_id == admin.id and plan.drawn_at is not None
    assert plan.solver_version == SOLVER_VERSION
    problem = monthly.draw_input(plan)
    assert problem["seed"] == plan.draw_seed and len(problem["subjects"]) == 40
    assert sha256_hex(canonical_json(problem)) == plan.draw_input_sha256  # the hash the page shows
    assert problem["strata"] == [{"id": "一般单位", "count": 9}]
    # anyone re-running the solver on the downloaded input gets the plan's list
    assert sorted(row["id"] for row in solver.draw_subjects(problem)["drawn"]) == _codes(plan)
    assert monthly.replay(plan) is None
    summary = monthly.draw_summary(plan)
    assert summary["population"] == 40 and summary["drawn"] == 9

    plan.draw_seed = "0" * 32  # a seed swapped afterwards no longer matches the stored hash
    assert "哈希" in monthly.replay(plan)
    plan.draw_seed, plan.draw_input_sha256 = "0" * 32, sha256_hex(canonical_json({**problem, "seed": "0" * 32}))
    assert "不一致" in monthly.replay(plan)  # nor the stored result
    db.session.rollback()


def _proposed_afresh(plan: MonthlyPlan, user) -> MonthlyPlan:
    """The same month's plan of the same department proposed again from nothing (the draft deleted first)."""
    department = plan.department
    db.session.delete(plan)
    db.session.commit()
    plan = monthly.propose(department, "2025-02", user)
    db.session.commit()
    return plan


def test_the_list_is_not_a_function_of_month_and_department(county):
    """Three proposals of the same month and department, from the same input, differ (each a fresh seed); the old
    hashed order gave the same list every time."""
    admin = _user("yjj_admin")
    plan = monthly.propose(county["yjj"], "2025-02", admin)
    db.session.commit()
    lists, seeds, inputs = {tuple(_codes(plan))}, {plan.draw_seed}, {plan.draw_problem}
    for _ in range(2):
        plan = _proposed_afresh(plan, admin)
        assert monthly.replay(plan) is None
        lists.add(tuple(_codes(plan)))
        seeds.add(plan.draw_seed)
        inputs.add(plan.draw_problem)
    assert len(inputs) == 1 and len(seeds) == 3 and len(lists) >= 2  # 9 of 40: C(40, 9) ≈ 2.7e8 lists


def test_the_same_input_is_not_drawn_again(app, county):
    """Re-proposing a draft whose candidates, workload and hand-added enterprises are unchanged is refused, in
    Chinese, with nothing changed: a department cannot re-roll until a list suits it."""
    plan = monthly.propose(county["yjj"], "2025-02", _user("yjj_admin"))
    db.session.commit()
    pid, seed, codes = plan.id, plan.draw_seed, _codes(plan)
    client = app.test_client()
    client.post("/login", data={"username": "yjj_admin", "password": PASSWORD})
    page = client.post(f"/plans/monthly/{pid}/repropose", follow_redirects=True).get_data(as_text=True)
    assert "不能重新抽取：同一输入只抽取一次" in page
    db.session.expire_all()
    plan = db.session.get(MonthlyPlan, pid)
    assert (plan.draw_seed, plan.proposals, _codes(plan)) == (seed, 1, codes)
    assert len(db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "propose", AuditEntry.entity_id == str(pid))).all()) == 1


def test_a_different_seed_gives_a_different_list_and_the_same_seed_the_same():
    subjects = [SimpleNamespace(credit_code=f"9113{n:014d}", risk_class="ABCD"[n % 4], category="一般单位",
                                crowded=False, has_complaint=False, has_accident=False, has_penalty=False,
                                blacklisted=False, major_hazard=False) for n in range(1000)]
    problem = monthly.draw_problem([], subjects, 50)

    def drawn(seed):
        return sorted(row["id"] for row in solver.draw_subjects({**problem, "seed": seed})["drawn"])

    first = drawn("a")
    assert len(first) == 50 and drawn("a") == first and drawn("b") != first


def test_the_strata_take_the_workload_in_turn():
    def subject(n, **flags):
        return SimpleNamespace(credit_code=f"9113{n:014d}", risk_class="", category=flags.pop("category", "一般单位"),
                               crowded=flags.pop("crowded", False), **{f: flags.get(f, False) for f in monthly.HALF_YEAR_FLAGS})
    duties = [subject(n) for n in range(3)] + [subject(5, category="消防安全重点单位", crowded=True)]
    pool = ([subject(10 + n, blacklisted=True) for n in range(2)]
            + [subject(20 + n, category="消防安全重点单位", crowded=True) for n in range(4)]
            + [subject(30 + n) for n in range(20)] + [subject(60 + n, category="九小场所") for n in range(5)])
    problem = monthly.draw_problem(duties, pool, 13)
    assert problem["strata"] == [{"id": "覆盖规则尚未完成·重点单位-人员密集", "all": True},
                                 {"id": "覆盖规则尚未完成·一般单位", "all": True}, {"id": "每半年一次", "all": True},
                                 {"id": "重点单位-人员密集", "all": True}, {"id": "一般单位", "count": 3},
                                 {"id": "九小场所", "count": 0}]
    drawn = solver.draw_subjects({**problem, "seed": "x"})["drawn"]
    assert len(drawn) == 13 and {d["id"] for d in drawn} >= {s.credit_code for s in duties + pool[:6]}
    # workload below the duties: the duties are drawn among, their priority groups in turn; the rest not at all
    assert monthly.draw_problem(duties, pool, 2)["strata"][:3] == [
        {"id": "覆盖规则尚未完成·重点单位-人员密集", "all": True}, {"id": "覆盖规则尚未完成·一般单位", "count": 1},
        {"id": "每半年一次", "count": 0}]


def test_coverage_due_ones_are_always_listed(county):
    yjj = county["yjj"]
    for n in (1, 2, 3):
        db.session.scalar(sa.select(Subject).where(Subject.credit_code == credit_code(n))).category = "九小场所"
    db.session.add(CoverageRule(department_id=yjj.id, name="九小场所每年全覆盖", category="九小场所", ratio=1.0))
    db.session.commit()
    admin = _user("yjj_admin")
    plan = monthly.propose(yjj, "2025-02", admin)
    db.session.commit()
    due = {credit_code(n) for n in (1, 2, 3)}
    for _ in range(3):
        assert due <= set(_codes(plan)) and len(plan.entries) == 9
        assert {e.reason for e in plan.entries if e.subject.credit_code in due} == {"覆盖规则“九小场所每年全覆盖”尚未完成"}
        assert monthly.draw_input(plan)["strata"][0] == {"id": "覆盖规则尚未完成·九小场所", "all": True}
        plan = _proposed_afresh(plan, admin)


def test_weights_favour_high_risk_classes(county):
    """Credit-risk classes weigh as a campaign weighs them (campaigns.rules.DEFAULT_RISK_WEIGHTS): a D-class
    enterprise is four times as likely to be drawn as an A-class one."""
    plan = monthly.propose(county["yjj"], "2025-02", _user("yjj_admin"))
    db.session.commit()
    problem = monthly.draw_input(plan)
    risk = {s.credit_code: s.risk_class for s in db.session.scalars(sa.select(Subject))}
    weights = {risk[s["id"]]: s["weight"] for s in problem["subjects"]}
    assert weights == {"A": 0.5, "B": 1.0, "C": 1.5, "D": 2.0}
    probability = solver.inclusion_probabilities(problem)
    by_class = {k: {p for code, p in probability.items() if risk[code] == k} for k in "ABCD"}
    assert all(len(v) == 1 for v in by_class.values())  # one probability a class
    a, d = by_class["A"].pop(), by_class["D"].pop()
    assert d == pytest.approx(4 * a) and sum(probability.values()) == pytest.approx(9)


def test_every_proposal_is_audited_and_counted_and_hand_added_ones_stay(app, county):
    yjj = county["yjj"]
    plan = monthly.propose(yjj, "2025-02", _user("yjj_admin"))
    db.session.commit()
    pid, first_seed = plan.id, plan.draw_seed
    outside = next(s for s in db.session.scalars(sa.select(Subject).where(Subject.industry == "工贸"))
                   if s.id not in {e.subject_id for e in plan.entries})
    clients = {}
    for name in ("yjj_admin", "yjj_officer", "scj_admin", "office"):
        clients[name] = app.test_client()
        clients[name].post("/login", data={"username": name, "password": PASSWORD})
    clients["yjj_admin"].post(f"/plans/monthly/{pid}/entries", data={"credit_code": outside.credit_code})
    for refused in ("yjj_officer", "scj_admin", "office"):
        assert clients[refused].post(f"/plans/monthly/{pid}/repropose").status_code == 403
    assert clients["yjj_admin"].post(f"/plans/monthly/{pid}/repropose").status_code in (302, 303)
    db.session.expire_all()
    plan = db.session.get(MonthlyPlan, pid)
    assert plan.proposals == 2 and plan.draw_seed != first_seed and monthly.replay(plan) is None
    assert outside.credit_code in _codes(plan) and len(plan.entries) == 9  # kept, and counted in the workload
    assert outside.credit_code not in {s["id"] for s in monthly.draw_input(plan)["subjects"]}
    logged = [json.loads(e.changes) for e in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "propose", AuditEntry.entity == "monthly_plan",
                                    AuditEntry.entity_id == str(pid)).order_by(AuditEntry.seq))]
    assert [entry["after"]["seed"] for entry in logged] == [first_seed, plan.draw_seed]
    assert [entry["after"]["input_sha256"] for entry in logged][-1] == plan.draw_input_sha256
    assert [entry["after"]["proposals"] for entry in logged] == [1, 2]

    page = clients["office"].get(f"/plans/monthly/{pid}").get_data(as_text=True)
    assert "核验信息" in page and plan.draw_seed in page and plan.draw_input_sha256 in page
    assert "共2次" in page and "候选39户，列入8户" in page
    download = clients["office"].get(f"/plans/monthly/{pid}/draw.json")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert sha256_hex(canonical_json(json.loads(download.data))) == plan.draw_input_sha256
    assert clients["scj_admin"].get(f"/plans/monthly/{pid}/draw.json").status_code == 403

    clients["yjj_admin"].post(f"/plans/monthly/{pid}/confirm", data={"note": ""})
    db.session.expire_all()
    assert db.session.get(MonthlyPlan, pid).status == MonthlyPlanStatus.CONFIRMED
    clients["yjj_admin"].post(f"/plans/monthly/{pid}/repropose")  # a confirmed plan is not re-rolled
    db.session.expire_all()
    assert db.session.get(MonthlyPlan, pid).proposals == 2


def test_replay_monthly_plan_command(app, county):
    plan = monthly.propose(county["yjj"], "2025-02", _user("yjj_admin"))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["replay-monthly-plan", "--month", "2025-02"])
    assert result.exit_code == 0 and "一致" in result.output and plan.draw_seed in result.output
    assert "月份应写成" in runner.invoke(args=["replay-monthly-plan", "--month", "2025-13"]).output
    forged = '{"id":"x","must":false,"probability":1,"stratum":"一般单位"},'
    plan.draw_result = plan.draw_result.replace('"drawn":[', '"drawn":[' + forged, 1)
    db.session.commit()
    result = runner.invoke(args=["replay-monthly-plan"])
    assert result.exit_code == 1 and "不一致" in result.output


def test_an_input_drawn_before_is_not_drawn_again_after_a_detour(county):
    """The refusal of a repeated input holds for every earlier proposal, not only the last: adding an enterprise by
    hand, re-proposing, taking it out again and re-proposing would otherwise draw the first input anew — a re-roll for
    two clicks, as often as wanted."""
    yjj, admin = county["yjj"], _user("yjj_admin")
    plan = monthly.propose(yjj, "2025-02", admin)
    db.session.commit()
    first = plan.draw_problem
    outside = next(s for s in db.session.scalars(sa.select(Subject).where(Subject.industry == "工贸").order_by(Subject.id))
                   if s.id not in {e.subject_id for e in plan.entries})
    monthly.add_subject(plan, outside, admin)
    monthly.repropose(plan, admin)  # a new input (one fewer to draw, one fewer candidate): drawn
    db.session.commit()
    assert plan.proposals == 2 and plan.draw_problem != first
    monthly.remove_entry(plan, next(e for e in plan.entries if e.subject_id == outside.id), admin)
    with pytest.raises(monthly.MonthlyPlanError, match="同一输入只抽取一次"):
        monthly.repropose(plan, admin)  # the first proposal's input again
    db.session.rollback()


def test_the_plan_page_reads_its_enterprises_at_once(app, county):
    """The plan's page lists every enterprise (a workload of dozens): their rows come with the entries, not one
    query each."""
    from sqlalchemy import event

    plan = monthly.propose(county["yjj"], "2025-02", _user("yjj_admin"))
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": "yjj_admin", "password": PASSWORD})
    statements = []

    def count(*_):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(f"/plans/monthly/{plan.id}").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(plan.entries) == 9 and len(statements) < 9
