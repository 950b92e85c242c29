"""Results on the joint record: entry, deadlines, review and publication, follow-up, and the directory learning."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from coordinator.campaigns import services as campaigns
from coordinator.extensions import db
from coordinator.results import services
from coordinator.results.models import InspectionRecord, ItemResult
from coordinator.states import RecordStatus, SubjectStatus
from tests.app.county import (
    PASSWORD,
    build_county,
    campaign_values,
    dispatched_county_campaign,
    report_and_publish,
    submit_all_items,
)


@pytest.fixture
def dispatched(ctx):
    """A dispatched campaign of the small county: every enterprise staffed, records open."""
    county = build_county()
    return county, dispatched_county_campaign(county)


def entry_for(department_result, result="未发现问题", **changes) -> services.ResultEntry:
    problems = 1 if result in services.PROBLEM_RESULTS else 0
    items = [services.ItemEntry(ci.id, result, problems, "灭火器过期" if problems else "")
             for ci in services.items_for(department_result)]
    values = {"items": items, "follow_ups": ["责令改正"] if problems else ["无需后续处置"],
              "rectify_by": date(2024, 7, 1) if problems else None}
    values.update(changes)
    return services.ResultEntry(**values)


def submit_all(record, users, result="未发现问题"):
    for department_result in record.department_results:
        user = users["yjj_admin" if department_result.department.code == "yjj" else "scj_officer"]
        services.save_department_result(record, department_result.department_id,
                                        entry_for(department_result, result), user, submit=True)


def test_dispatch_opens_one_record_per_staffed_enterprise_due_in_20_working_days(dispatched):
    county, campaign = dispatched
    records = db.session.scalars(sa.select(InspectionRecord)).all()
    assert len(records) == len([cs for cs in campaign.subjects if cs.active_members]) == 20
    for record in records:
        assert record.status == RecordStatus.ENTERING
        assert {p.department_id for p in record.department_results} == set(record.campaign_subject.department_ids)
    cs = records[0].campaign_subject
    db.session.delete(records[0])
    db.session.flush()
    db.session.expire(cs)
    cs.visit_date = date(2024, 9, 27)  # the Friday before National Day; 29 Sep and 12 Oct are make-up days
    fresh = services.open_record(cs)
    assert fresh.due_on == date(2024, 10, 30)


def test_entry_is_validated_item_by_item(dispatched):
    county, campaign = dispatched
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    department_result = record.department_results[0]
    user = county["users"]["yjj_admin"]
    blank = services.ResultEntry(items=[])
    with pytest.raises(services.ResultError, match="请填写“.*”的检查结果") as error:
        services.save_department_result(record, department_result.department_id, blank, user, submit=True)
    assert "请选择后续处置" in str(error.value)
    wrong = entry_for(department_result, "发现问题待后续处理", follow_ups=["无需后续处置"])
    wrong.items[0].description = ""
    with pytest.raises(services.ResultError) as error:
        services.save_department_result(record, department_result.department_id, wrong, user, submit=True)
    assert "请描述问题" in str(error.value) and "请选择后续处置方式" in str(error.value)
    with pytest.raises(services.ResultError, match="请填写整改期限"):
        services.save_department_result(record, department_result.department_id,
                                        entry_for(department_result, "发现问题已责令改正", rectify_by=None), user,
                                        submit=True)
    with pytest.raises(services.ResultError, match="请填写移送给哪个部门"):
        services.save_department_result(record, department_result.department_id,
                                        entry_for(department_result, follow_ups=["移送其他部门"]), user, submit=True)
    services.save_department_result(record, department_result.department_id,
                                    blank, user, submit=False)  # a draft may be incomplete
    assert department_result.submitted_at is None


def test_entering_twice_keeps_one_result_per_item(dispatched):
    county, campaign = dispatched
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    department_result = record.department_results[0]
    user = county["users"]["yjj_admin"]
    services.save_department_result(record, department_result.department_id,
                                    entry_for(department_result), user, submit=False)
    services.save_department_result(record, department_result.department_id,
                                    entry_for(department_result, "发现问题已责令改正"), user, submit=True)
    db.session.commit()
    stored = db.session.scalar(sa.select(sa.func.count()).select_from(ItemResult)
                               .where(ItemResult.department_result_id == department_result.id))
    assert stored == len(services.items_for(department_result))
    with pytest.raises(services.ResultError, match="已提交"):
        services.save_department_result(record, department_result.department_id,
                                        entry_for(department_result), user, submit=True)


def test_review_return_and_publication_through_the_web(app, dispatched):
    county, campaign = dispatched
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    clients = {}
    for name in ("yjj_admin", "scj_officer", "scj_admin", "office"):
        clients[name] = app.test_client()
        clients[name].post("/login", data={"username": name, "password": PASSWORD})
    yjj_part = next(p for p in record.department_results if p.department.code == "yjj")
    scj_part = next(p for p in record.department_results if p.department.code == "scj")

    def form(department_result, result="未发现问题"):
        data = {"action": "submit", "follow_ups": ["无需后续处置"], "inspected_on": "2024-06-12", "signed": "1"}
        for ci in services.items_for(department_result):
            data[f"result-{ci.id}"], data[f"problems-{ci.id}"] = result, "0"
        return data

    bad = clients["scj_officer"].post(f"/results/{record.id}/entry", data={"action": "submit"})
    assert bad.status_code == 200 and "请填写" in bad.data.decode()
    assert clients["scj_officer"].post(f"/results/{record.id}/entry", data=form(scj_part)).status_code in (302, 303)
    assert clients["yjj_admin"].post(f"/results/{record.id}/entry", data=form(yjj_part)).status_code in (302, 303)
    db.session.expire_all()
    assert record.status == RecordStatus.REVIEWING and record.inspected_on == date(2024, 6, 12)

    assert clients["scj_admin"].post(f"/results/{record.id}/review", data={"action": "publish"}).status_code == 403
    clients["yjj_admin"].post(f"/results/{record.id}/review",
                              data={"action": "return", "reason": "问题描述不清", "departments": [scj_part.department_id]})
    db.session.expire_all()
    assert record.status == RecordStatus.RETURNED and scj_part.submitted_at is None and yjj_part.submitted_at is not None
    page = clients["scj_officer"].get(f"/results/{record.id}/entry").data.decode()
    assert "问题描述不清" in page
    clients["scj_officer"].post(f"/results/{record.id}/entry", data=form(scj_part))
    # Without the inspection report the page offers its form, not publication, and the service refuses.
    page = clients["yjj_admin"].get(f"/results/{record.id}").get_data(as_text=True)
    assert 'id="report-form"' in page and 'value="publish"' not in page and "请先形成检查报告，再审核公示" in page
    refused = clients["yjj_admin"].post(f"/results/{record.id}/review", data={"action": "publish"}, follow_redirects=True)
    assert "请先形成检查报告，再审核公示" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert record.status == RecordStatus.REVIEWING and record.published_at is None
    clients["yjj_admin"].post(f"/results/{record.id}/report", data={"evaluation": "未发现问题", "handling": "无需后续处置"})
    page = clients["yjj_admin"].get(f"/results/{record.id}").get_data(as_text=True)
    assert 'id="report-form"' not in page and 'value="publish"' in page and "请先形成检查报告" not in page
    clients["yjj_admin"].post(f"/results/{record.id}/review", data={"action": "publish"})
    db.session.expire_all()
    assert record.status == RecordStatus.PUBLISHED and record.published_at is not None


def test_a_closed_enterprise_leaves_the_drawing_pool(app, dispatched):
    county, campaign = dispatched
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    subject = record.campaign_subject.subject
    submit_all(record, county["users"], result="已关闭停业或正在组织清算")
    assert subject.status == SubjectStatus.ACTIVE  # not until the lead department confirms the record
    report_and_publish(record, county["users"]["yjj_admin"])
    db.session.commit()
    assert subject.status == SubjectStatus.SUSPENDED
    change = subject.status_changes[0]
    assert campaign.name in change.reason and "已关闭停业" in change.reason
    client = app.test_client()
    client.post("/login", data={"username": "office", "password": PASSWORD})
    report = client.get("/subjects/stale?source=inspections").data.decode()
    assert subject.name in report and "已关闭停业" in report
    later = campaigns.create_campaign(
        campaign_values(name="下一次", burden_months=0),
        county["yjj"], [county["scj"]], county["users"]["office"])
    db.session.flush()
    submit_all_items(later, county, county["users"]["office"])
    assert subject.credit_code not in {s["id"] for s in campaigns.subject_problem(later)["subjects"]}


def test_due_summary_counts_what_is_late_by_department(dispatched):
    county, campaign = dispatched
    records = db.session.scalars(sa.select(InspectionRecord)).all()
    late = max(r.due_on for r in records)
    summary = {r["department"]: r for r in services.due_summary(on=late.replace(year=late.year + 1))}
    assert summary["应急管理局"]["overdue"] == summary["应急管理局"]["to_enter"] == 20
    submit_all(records[0], county["users"])
    summary = {r["department"]: r for r in services.due_summary(on=max(r.visit_day for r in records))}
    assert summary["应急管理局"]["to_enter"] == 19 and summary["应急管理局"]["overdue"] == 0
    # Before a visit its results cannot be handed in: not a to-do yet.
    before = min(r.visit_day for r in records)
    summary = {r["department"]: r for r in services.due_summary(on=before)}
    visited = [r for r in records[1:] if r.visit_day <= before]
    assert summary["应急管理局"]["to_enter"] == len(visited) < 19
    assert summary["应急管理局"]["to_review"] == 1  # the lead department reviews


def test_photos_must_be_real_images(app, dispatched):
    county, campaign = dispatched
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    client = app.test_client()
    client.post("/login", data={"username": "yjj_admin", "password": PASSWORD})
    import io

    fake = client.post(f"/results/{record.id}/photos", data={"photo": (io.BytesIO(b"<html>"), "x.jpg")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "不是 JPG 或 PNG 图片" in fake.data.decode()
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    client.post(f"/results/{record.id}/photos", data={"photo": (io.BytesIO(png), "现场.png")},
                content_type="multipart/form-data")
    department_result = next(p for p in record.department_results if p.department.code == "yjj")
    db.session.expire_all()
    assert [a.filename for a in department_result.attachments] == ["现场.png"]
    response = client.get(f"/results/photos/{department_result.attachments[0].id}")
    assert response.data == png
    response.close()
    outsider = app.test_client()
    outsider.post("/login", data={"username": "hbj_admin", "password": PASSWORD})
    assert outsider.get(f"/results/photos/{department_result.attachments[0].id}").status_code == 403


def test_photos_stop_when_the_record_is_published(app, dispatched):
    county, campaign = dispatched
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    yjj_admin = county["users"]["yjj_admin"]
    assert record.can_take_photos_from(yjj_admin) and not record.can_take_photos_from(county["users"]["hbj_admin"])
    submit_all(record, county["users"])
    report_and_publish(record, county["users"]["office"])
    db.session.commit()
    assert not record.can_take_photos_from(yjj_admin)
    client = app.test_client()
    client.post("/login", data={"username": "yjj_admin", "password": PASSWORD})
    import io

    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    page = client.post(f"/results/{record.id}/photos", data={"photo": (io.BytesIO(png), "晚了.png")},
                       content_type="multipart/form-data", follow_redirects=True).data.decode()
    assert "记录已公示，不能再上传照片" in page and 'name="photo"' not in page
    db.session.expire_all()
    assert all(not p.attachments for p in record.department_results)


def test_several_photos_go_up_at_once_or_none_does(app, dispatched):
    """A phone sends every photo it took in one go; one bad file keeps all out, and the inspector returns to the form."""
    import io

    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    client = app.test_client()
    client.post("/login", data={"username": "yjj_admin", "password": PASSWORD})
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    jpg = b"\xff\xd8\xff\xe0" + b"\0" * 64
    refused = client.post(f"/results/{record.id}/photos", content_type="multipart/form-data", data={
        "back": "entry", "photo": [(io.BytesIO(png), "1.png"), (io.BytesIO(b"%PDF"), "2.jpg")]})
    assert refused.headers["Location"].endswith(f"/results/{record.id}/entry#photos")
    department_result = next(p for p in record.department_results if p.department.code == "yjj")
    db.session.expire_all()
    assert department_result.attachments == []
    client.post(f"/results/{record.id}/photos", content_type="multipart/form-data", data={
        "photo": [(io.BytesIO(png), "门头.png"), (io.BytesIO(jpg), "灭火器.jpg"), (io.BytesIO(jpg), "通道.JPG")]})
    db.session.expire_all()
    assert sorted(a.filename for a in department_result.attachments) == sorted(["门头.png", "灭火器.jpg", "通道.JPG"])
    page = client.get(f"/results/{record.id}/entry").get_data(as_text=True)
    assert page.count('<img src="/results/photos/') == 3  # thumbnails of what is kept
    assert 'capture="environment"' in page and "multiple" in page and "data-draft=" in page


def test_no_publication_without_the_inspection_report(dispatched):
    """Seed 003: the report within a working day of the visit, then the notice, then publication."""
    county, _campaign = dispatched
    record = db.session.scalars(sa.select(InspectionRecord).order_by(InspectionRecord.id)).first()
    submit_all(record, county["users"])
    db.session.commit()
    for user in ("yjj_admin", "office"):
        with pytest.raises(services.ResultError, match="请先形成检查报告，再审核公示"):
            services.publish(record, county["users"][user])
    db.session.rollback()
    assert record.status == RecordStatus.REVIEWING and record.published_at is None
    report_and_publish(record, county["users"]["yjj_admin"])
    assert record.published and record.reported_on is not None
