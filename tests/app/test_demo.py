"""`seed-demo` loads the demo county from seeds/ through the same importers, and prints the log-ins."""
import pytest
import sqlalchemy as sa

from coordinator.auth.models import Department, User
from coordinator.directories.models import Conflict, Inspector, Subject
from coordinator.extensions import db
from coordinator.items.models import Item
from coordinator.states import SubjectStatus

pytestmark = pytest.mark.slow  # loads the whole demo county


def test_seed_demo_loads_the_county_once(runner, ctx):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "拒绝0行" in result.output and "拒绝1" not in result.output
    assert "office" in result.output and "Demo2024" in result.output

    def count(model, *where):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    assert count(Department) == 5
    assert {u.role for u in db.session.scalars(sa.select(User))} == {"office", "admin", "officer"}
    assert 2500 <= count(Subject) <= 3500
    assert count(Subject, Subject.status != SubjectStatus.ACTIVE) > 0
    inspectors = db.session.scalars(sa.select(Inspector)).all()
    assert 60 <= len(inspectors) <= 100
    assert any(i.certificate_state() == "已过期" for i in inspectors)
    assert any(i.certificate_state() == "无执法证" for i in inspectors)
    assert count(Item) >= 10 and count(Conflict) >= 3

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 2 and "已有数据" in again.output
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    assert count(Subject) <= 3500
