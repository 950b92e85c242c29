"""`seed-demo` loads the demo county from seeds/ through the same importers, and prints the log-ins."""
import pytest
import sqlalchemy as sa

from coordinator.auth.models import Department, User
from coordinator.campaigns.models import Campaign, TeamMember
from coordinator.directories.models import Conflict, Inspector, Subject
from coordinator.extensions import db
from coordinator.items.models import Item
from coordinator.states import CampaignKind, CampaignStatus, SubjectStatus
from coordinator.stats import services as stats
from tests.conftest import empty_database

pytestmark = pytest.mark.slow  # loads the whole demo county


@pytest.fixture(scope="module")
def seeded(app):
    """`seed-demo` run once (≈ 10 s) for this module's tests, which read the county and change nothing of what the
    others look at; the database is emptied after the module."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    yield result
    empty_database(app)


@pytest.fixture(autouse=True)
def _clean_database():
    """Replaces tests/conftest.py's for this module: the county stays loaded from one test to the next."""
    yield


def test_seed_demo_loads_the_county_once(seeded, runner, ctx):
    result = seeded
    assert result.exit_code == 0, result.output
    assert "拒绝0行" in result.output and "拒绝1" not in result.output
    assert "office" in result.output and "Demo2024" in result.output

    def count(model, *where):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    assert count(Department) == 5
    assert {u.role for u in db.session.scalars(sa.select(User))} == {"office", "admin", "officer", "inspector"}
    assert 2500 <= count(Subject) <= 3500
    assert count(Subject, Subject.status != SubjectStatus.ACTIVE) > 0
    inspectors = db.session.scalars(sa.select(Inspector)).all()
    assert 60 <= len(inspectors) <= 100
    assert any(i.certificate_state() == "已过期" for i in inspectors)
    assert any(i.certificate_state() == "无执法证" for i in inspectors)
    assert count(Item) >= 10 and count(Conflict) >= 3
    # a year of the fire brigade's own inspections (issue 13): one a month, and one special inspection filed
    xfj = db.session.scalar(sa.select(Department).where(Department.code == "xfj"))
    own = db.session.scalars(sa.select(Campaign).where(Campaign.lead_department_id == xfj.id,
                                                       Campaign.kind != CampaignKind.JOINT)).all()
    assert sum(c.kind == CampaignKind.INTERNAL for c in own) == 12
    special = next(c for c in own if c.kind == CampaignKind.SPECIAL)
    assert special.scheme_text and special.scheme_filed_on and not special.is_joint
    assert all(c.status == CampaignStatus.FINISHED and len(c.departments) == 1 for c in own)
    figures = stats.dashboard(2025)
    assert figures["single_campaigns"] == 13 and figures["joint_campaigns"] == 0 and figures["visits"] >= 48

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 2 and "已有数据" in again.output
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    assert count(Subject) <= 3500


def test_the_demo_has_two_inspectors_own_accounts(seeded, ctx, client):
    """One of the lead department, leading teams, and one of a partner department on the same teams: printed with
    the other log-ins, the demo password, no forced change, and their teams on 我的检查任务."""
    result = seeded
    assert result.exit_code == 0, result.output
    inspectors = db.session.scalars(sa.select(User).where(User.role == "inspector").order_by(User.id)).all()
    campaign = db.session.scalars(sa.select(Campaign).order_by(Campaign.id)).first()
    lead, partner = inspectors
    assert lead.inspector.department_id == campaign.lead_department_id != partner.inspector.department_id
    # the partner is whoever the draw seated most often with the lead's inspector (the solver's draws decide)
    assert [u.username for u in inspectors] == ["yjj_inspector", f"{partner.inspector.department.code}_inspector"]
    seats = {u.username: db.session.scalars(sa.select(TeamMember).where(TeamMember.inspector_id == u.inspector_id,
                                                                        TeamMember.recused_at.is_(None))).all()
             for u in inspectors}
    assert any(m.is_leader for m in seats["yjj_inspector"])
    assert ({m.campaign_subject_id for m in seats["yjj_inspector"]}
            & {m.campaign_subject_id for m in seats[partner.username]})
    for user in inspectors:
        assert f"{user.username:<14} 检查人员个人账号（" in result.output and user.display_name in result.output
        assert not user.must_change_password
        client.post("/login", data={"username": user.username, "password": "Demo2024"})
        first = client.get("/", follow_redirects=True)  # straight to the work, no password change asked
        assert first.request.path == "/tasks/", first.request.path
        listed = [m for m in seats[user.username] if m.campaign_subject.subject.name in first.get_data(as_text=True)]
        assert listed
        record = listed[0].campaign_subject.record
        page = client.get(f"/results/{record.id}").get_data(as_text=True)
        assert "已逾期" not in page and "形成检查报告</button>" not in page, user.username
        client.post("/logout")


def test_the_demo_records_have_their_report_and_notice_in_time(seeded, ctx):
    """Published 2024 records carry the 组长's report and the notice (seed 003), on time: none shows overdue."""
    from coordinator.results.models import InspectionRecord

    assert seeded.exit_code == 0
    records = db.session.scalars(sa.select(InspectionRecord)).all()
    assert records and all(r.published for r in records)
    for record in records:
        assert record.reported_on and record.reported_on <= record.report_due_on, record.id
        assert record.notified_on and record.notified_on <= record.feedback_due_on, record.id
        assert all(p.submitted_at.date() <= record.reported_on for p in record.department_results), record.id
