"""一企一档: an enterprise's file lists exactly its own history; inspector names only to those allowed to see them."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from coordinator.campaigns.models import CampaignSubject
from coordinator.directories.models import Subject, SubjectStatusChange
from coordinator.extensions import db
from coordinator.results.models import Attachment, ItemResult
from coordinator.states import RecordStatus, SubjectStatus
from coordinator.subjectfile import services
from tests.app.county import PASSWORD, build_county, dispatched_county_campaign

PROBLEM = "消防通道被货物堵塞"


@pytest.fixture
def county_file(ctx):
    """The small county's dispatched campaign; the first drawn enterprise's record published with a problem."""
    county = build_county()
    campaign = dispatched_county_campaign(county)
    drawn = sorted((cs for cs in campaign.subjects if cs.record is not None), key=lambda cs: cs.id)
    cs, other = drawn[0], drawn[1]
    record = cs.record
    record.inspected_on = date(2024, 6, 12)
    record.status = RecordStatus.PUBLISHED
    record.published_at = datetime(2024, 6, 20, 10, 0)
    part = record.department_results[0]
    campaign_item = campaign.campaign_department(part.department_id).items[0]
    part.items.append(ItemResult(campaign_item_id=campaign_item.id, result="发现问题", problems=1, description=PROBLEM))
    part.note = "现场核查"
    part.attachments.append(Attachment(filename="现场照片.jpg", stored_as="a1.jpg"))
    subject = cs.subject
    subject.legal_rep_phone = "13912345678"
    db.session.add(SubjectStatusChange(subject_id=subject.id, old_status=SubjectStatus.ACTIVE,
                                       new_status=SubjectStatus.SUSPENDED, changed_on=date(2024, 8, 1),
                                       reason="登记系统：停业"))
    drawn_ids = {c.subject_id for c in campaign.subjects}
    undrawn = db.session.scalar(sa.select(Subject).where(Subject.id.not_in(drawn_ids)).order_by(Subject.id))
    db.session.commit()
    names = [m.inspector.name for m in cs.members]
    assert names
    return {"county": county, "campaign": campaign, "cs": cs, "other": other, "subject": subject, "names": names,
            "undrawn": undrawn}


def _login(app, username):
    client = app.test_client()
    client.post("/login", data={"username": username, "password": PASSWORD})
    return client


def test_the_file_lists_exactly_the_enterprises_history_newest_first(county_file):
    office = county_file["county"]["users"]["office"]
    entries = services.history(county_file["subject"], office)
    assert [e.kind for e in entries] == ["经营状态", "抽查检查"]
    inspection = entries[1]
    assert inspection.campaign_subject.id == county_file["cs"].id  # not the other drawn enterprise's
    assert inspection.title == county_file["campaign"].name
    assert any(line.startswith("分层：") and "入样概率" in line for line in inspection.lines)
    assert any("确认：确认" in line for line in inspection.lines)
    assert "检查日期：2024-06-12" in inspection.lines
    assert all(any(name in member for member in inspection.team) for name in county_file["names"])
    assert any(i["description"] == PROBLEM for part in inspection.results for i in part["items"])
    assert entries[0].lines == ["来源：登记系统：停业"]


def test_a_draw_that_considered_but_did_not_draw_it_is_in_its_file(county_file):
    entries = services.history(county_file["undrawn"], county_file["county"]["users"]["office"])
    assert [(e.kind, e.title) for e in entries] == [("参与抽取", county_file["campaign"].name)]
    assert "未被抽中" in entries[0].lines[0]


def test_a_considered_enterprise_shows_its_own_inclusion_probability(county_file):
    """The draw's weights differ by credit-risk class (DEFAULT_RISK_WEIGHTS): each enterprise the draw considered
    shows its own π, recomputed from the stored input; the drawn ones' equal what the draw recorded, and the π of
    the stratum sum to the number drawn."""
    from coordinator.campaigns.models import Draw, DrawProbability
    from coordinator.subjectfile.services import percent
    from solver import inclusion_probabilities

    campaign = county_file["campaign"]
    draw = db.session.scalar(sa.select(Draw).where(Draw.campaign_id == campaign.id, Draw.kind == "subjects"))
    problem = json.loads(draw.problem)
    codes = [s["id"] for s in problem["subjects"]]
    seen = dict(db.session.execute(
        sa.select(Subject.credit_code, DrawProbability).join(DrawProbability, DrawProbability.subject_id == Subject.id)
        .where(DrawProbability.draw_id == draw.id)).all())
    assert set(seen) == set(codes)  # every enterprise the locked input held, recorded when the draw ran
    recomputed = inclusion_probabilities(problem)
    assert all(seen[code].probability == recomputed[code] for code in codes)
    recorded = {cs.subject.credit_code: cs.probability for cs in campaign.subjects}
    assert recorded and all(seen[code].probability == p for code, p in recorded.items())
    for stratum in {c.stratum for c in seen.values()}:
        members = [c for c in seen.values() if c.stratum == stratum]
        assert abs(sum(c.probability for c in members) - members[0].drawn) < 1e-6
    undrawn = [code for code in codes if code not in recorded]
    assert len({seen[code].weight for code in undrawn}) > 1  # a weighted stratum
    assert len({seen[code].probability for code in undrawn}) > 1  # so the enterprises' π differ
    office = county_file["county"]["users"]["office"]
    for code in undrawn:
        subject = db.session.scalar(sa.select(Subject).where(Subject.credit_code == code))
        line = services.history(subject, office)[0].lines[0]
        mine = seen[code]
        assert f"入样概率 {percent(mine.probability)}" in line and f"权重 {mine.weight:g}" in line
        assert mine.probability == pytest.approx(mine.weight / max(c.weight for c in seen.values())
                                                 * max(c.probability for c in seen.values()))


def test_names_and_problems_only_for_those_allowed(app, county_file):
    url = f"/subjects/{county_file['subject'].id}"
    taking_part = _login(app, "yjj_admin").get(url).get_data(as_text=True)
    assert all(name in taking_part for name in county_file["names"]) and PROBLEM in taking_part
    outsider = _login(app, "hbj_admin").get(url).get_data(as_text=True)  # hbj takes no part in the campaign
    assert county_file["campaign"].name in outsider and "发现问题" in outsider
    assert not any(name in outsider for name in county_file["names"])
    assert PROBLEM not in outsider and "执法人员姓名仅对参加本次抽查的部门可见" in outsider


def test_the_public_sees_the_published_part_only(app, county_file):
    subject = county_file["subject"]
    page = app.test_client().get(f"/public/subjects/{subject.credit_code}").get_data(as_text=True)
    assert county_file["campaign"].name in page and "发现问题" in page
    assert not any(name in page for name in county_file["names"])
    assert PROBLEM not in page and "13912345678" not in page and "停业" not in page
    # the other drawn enterprise's record is not published: its public file is empty
    other = county_file["other"].subject
    page = app.test_client().get(f"/public/subjects/{other.credit_code}").get_data(as_text=True)
    assert "尚无检查记录" in page
    assert app.test_client().get("/public/subjects/000000000000000000").status_code == 404
    # typed by hand, in lower case and with a space, as the public types a code it reads off a licence
    typed = app.test_client().get(f"/public/subjects/{county_file['subject'].credit_code.lower()} ")
    assert typed.status_code == 200 and county_file["campaign"].name in typed.get_data(as_text=True)


def test_a_covert_campaign_stays_out_of_the_file_until_it_ends(app, county_file):
    campaign = county_file["campaign"]
    campaign.covert = True
    campaign.period_end = date(2999, 1, 1)
    db.session.commit()
    subject = county_file["subject"]
    assert campaign.name not in app.test_client().get(f"/public/subjects/{subject.credit_code}").get_data(as_text=True)
    assert campaign.name not in _login(app, "hbj_admin").get(f"/subjects/{subject.id}").get_data(as_text=True)
    assert campaign.name in _login(app, "scj_admin").get(f"/subjects/{subject.id}").get_data(as_text=True)
    campaign.period_end = date(2024, 7, 31)
    db.session.commit()
    assert campaign.name in app.test_client().get(f"/public/subjects/{subject.credit_code}").get_data(as_text=True)


def test_the_file_as_one_workbook_from_the_page_and_the_command(app, county_file, runner, tmp_path):
    subject = county_file["subject"]
    response = _login(app, "hbj_admin").get(f"/subjects/{subject.id}/file.xlsx")
    assert response.status_code == 200
    path = tmp_path / "outsider.xlsx"
    path.write_bytes(response.data)
    outsider = CalamineWorkbook.from_path(str(path))
    rows = outsider.get_sheet_by_name("一企一档").to_python()
    assert not any(name in str(rows) for name in county_file["names"])
    assert "现场照片.jpg" not in str(outsider.get_sheet_by_name("检查结果").to_python())
    path = tmp_path / "file.xlsx"
    result = runner.invoke(args=["export-subject-file", subject.credit_code, str(path)])
    assert result.exit_code == 0, result.output
    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name("一企一档").to_python()
    assert [r[1] for r in rows[2:]] == ["经营状态", "抽查检查"]
    assert all(name in rows[3][4] for name in county_file["names"])
    results = book.get_sheet_by_name("检查结果").to_python()
    assert results[0][8:] == ["备注", "现场照片"]  # the page's photos and note are in the workbook too
    assert any(r[6] == PROBLEM and r[8] == "现场核查" and "现场照片.jpg" in r[9] for r in results[1:])
    facts = {r[0]: r[1] for r in book.get_sheet_by_name("基本信息").to_python()}
    assert facts["统一社会信用代码"] == subject.credit_code and facts["地址"] == subject.address
    assert facts["经营状态"] == subject.status.label and "13912345678" not in str(facts)  # no contacts
    assert db.session.get(CampaignSubject, county_file["cs"].id) is not None


def test_a_replacement_draw_that_considered_it_is_in_its_file(ctx):
    """A replacement draw considers the rest of a stratum: each of those enterprises not drawn has it in its file,
    with its own inclusion probability (the stratum's add up to the one drawn), beside the main draw that considered
    it."""
    from coordinator.campaigns import services as campaigns
    from coordinator.campaigns.models import Draw, DrawProbability
    from coordinator.states import Decision, DrawKind
    from tests.app.county import drawn_campaign

    county = build_county()
    campaign = drawn_campaign(county)
    office, yjj_admin = county["users"]["office"], county["users"]["yjj_admin"]
    closed = campaign.subjects[3]
    campaigns.confirm(campaign, county["yjj"].id, {closed.id: (Decision.CLOSED, "现场已停业")}, yjj_admin)
    new = campaigns.replacement_draw(campaign, closed, "现场已停业", office)
    db.session.commit()
    draw = db.session.scalar(sa.select(Draw).where(Draw.kind == DrawKind.REPLACEMENT))
    considered = json.loads(draw.problem)["subjects"]
    assert len(considered) > 1
    rows = db.session.scalars(sa.select(DrawProbability).where(DrawProbability.draw_id == draw.id)).all()
    assert sorted(r.subject_id for r in rows) == sorted(
        db.session.scalar(sa.select(Subject.id).where(Subject.credit_code == s["id"])) for s in considered)
    assert abs(sum(r.probability for r in rows) - 1) < 1e-9 and all(r.drawn == 1 for r in rows)
    passed_over = next(r for r in rows if r.subject_id != new.subject_id)
    entries = services.history(db.session.get(Subject, passed_over.subject_id), office)
    # Newest first, within the same day too: the replacement came after the main draw.
    assert [(e.kind, e.title) for e in entries] == [("参与替换抽取", campaign.name), ("参与抽取", campaign.name)]
    replacement = entries[0]
    assert f"入样概率 {services.percent(passed_over.probability)}" in replacement.lines[0]
    assert "未被抽中" in replacement.lines[0]


def test_a_status_found_on_an_inspection_is_dated_by_the_inspection(county_file):
    """“通过登记的住所（经营场所）无法联系” found on a visit of 12 June 2024 moves the enterprise to 查无此户 as of that
    day: the file listed it on the day the record was published or, in the demo, the day the demo was loaded
    (2026-11-30 beside a 2024 inspection)."""
    from coordinator.results.services import apply_status

    record = county_file["cs"].record
    subject = county_file["subject"]
    subject.status = SubjectStatus.ACTIVE
    record.status_applied = False
    record.department_results[0].items[0].result = "通过登记的住所（经营场所）无法联系"
    apply_status(record, None)
    db.session.commit()
    change = db.session.scalars(sa.select(SubjectStatusChange).where(SubjectStatusChange.subject_id == subject.id)
                                .order_by(SubjectStatusChange.id.desc())).first()
    assert change.new_status == SubjectStatus.NOT_FOUND and change.changed_on == date(2024, 6, 12)
