"""The read-only JSON API for other government systems (the county's data-sharing platform, the province's).

It shows what the public pages show and no more — published results, item lists, campaign plans; never
inspectors, accounts, contacts or problem descriptions — to clients holding a token the office issued and has
not revoked. Lists are paged and can be asked for what changed since a time (`changed_since` or
If-Modified-Since). Every call, refused ones too, is one entry in the audit log.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, Response, g, request, url_for
from sqlalchemy.orm import selectinload

from ..access import EVERYONE, public
from ..audit import services as audit
from ..audit.models import AuditEntry
from ..campaigns.models import Campaign, CampaignDepartment, CampaignSubject
from ..extensions import db
from ..items.models import Item
from ..public import services as public_pages
from ..results.models import InspectionRecord
from ..timeutil import BEIJING
from . import services

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PER_PAGE, MAX_PER_PAGE = 50, 200


class ApiRefusal(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _json(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, default=str), status=status, headers=headers,
                    mimetype="application/json")


def _log(status: int, rows: int | None = None, reason: str = "") -> None:
    client = g.get("api_client")
    after = {"path": request.path, "query": request.query_string.decode("utf-8", "replace")[:500],
             "status": status, "client": client.name if client else None}
    if rows is not None:
        after["rows"] = rows
    if reason:
        after["reason"] = reason
    audit.log_event("api", "api_client", client.id if client else None, after)


def _authenticate() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiRefusal(401, "缺少访问令牌：请在 Authorization 头中以 Bearer 方式提供领导小组办公室发放的令牌")
    client = services.client_for(token.strip())
    if client is None:
        raise ApiRefusal(401, "访问令牌无效")
    g.api_client = client
    if client.revoked_at is not None:
        raise ApiRefusal(401, "访问令牌已被吊销")


def token_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        g.api_client = None
        try:
            _authenticate()
            data, rows, headers = view(*args, **kwargs)
        except ApiRefusal as refusal:
            _log(refusal.status, reason=refusal.message)
            return _json({"error": refusal.message}, refusal.status,
                         {"WWW-Authenticate": 'Bearer realm="liancha"'} if refusal.status == 401 else None)
        if data is None:  # not modified since If-Modified-Since
            _log(304, 0)
            return Response(status=304, headers=headers)
        _log(200, rows)
        return _json(data, 200, headers)

    # Read by the authorisation-matrix test: any caller, signed in or not, if the token is good (a session counts
    # for nothing here).
    wrapped.allowed_roles = EVERYONE
    return wrapped


# ---- paging and "what changed since" -----------------------------------------------------------------


def _page_args() -> tuple[int, int]:
    try:
        page = int(request.args.get("page", "1"))
        per_page = int(request.args.get("per_page", str(PER_PAGE)))
    except ValueError:
        raise ApiRefusal(400, "page 与 per_page 应为正整数") from None
    if not 1 <= page <= 1_000_000 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ApiRefusal(400, f"page 应不小于 1，per_page 应在 1～{MAX_PER_PAGE} 之间")
    return page, per_page


def _since() -> tuple[datetime | None, bool]:
    """The local (Beijing) time to list changes after, and whether it came from If-Modified-Since."""
    text = request.args.get("changed_since", "").strip()
    if text:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ApiRefusal(400, "changed_since 应为 ISO 8601 时间，如 2024-06-30T08:00:00+08:00") from None
        return _local(moment), False
    header = request.headers.get("If-Modified-Since", "").strip()
    if header:
        try:
            return _local(parsedate_to_datetime(header)), True
        except (TypeError, ValueError):
            return None, False  # RFC 9110: an invalid date is ignored
    return None, False


def _local(moment: datetime) -> datetime:
    """As stored: Beijing wall time without a zone (a time given without one is taken as Beijing time)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(BEIJING).replace(tzinfo=None)
    return moment


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.replace(tzinfo=BEIJING).astimezone(UTC), usegmt=True)


def _listing(query, changed, to_json, extra_filters=()):
    """Page through `query` filtered by `changed` (the rows' change time) > since; 304 if nothing changed."""
    page, per_page = _page_args()
    since, conditional = _since()
    if since is not None:
        query = query.where(changed > since)
    for condition in extra_filters:
        query = query.where(condition)
    counted = query.order_by(None).subquery()
    total, newest = db.session.execute(sa.select(sa.func.count(), sa.func.max(counted.c.changed_at))).one()
    headers = {"Last-Modified": _http_date(newest)} if isinstance(newest, datetime) else {}
    if conditional and total == 0:
        return None, 0, headers
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    data = [to_json(*row) for row in rows]
    pages = (total + per_page - 1) // per_page
    endpoint = request.endpoint
    args = {k: v for k, v in request.args.items() if k != "page"}
    links = {"next": url_for(endpoint, page=page + 1, **args) if page < pages else None,
             "prev": url_for(endpoint, page=page - 1, **args) if page > 1 else None}
    return {"data": data, "page": page, "per_page": per_page, "total": total, "pages": pages, **links}, len(data), headers


def _iso(value):
    return None if value is None else value.isoformat()


# ---- published results ----------------------------------------------------------------------------------


def _result_json(record: InspectionRecord, changed_at) -> dict:
    cs = record.campaign_subject
    return {
        "id": record.id,
        "credit_code": cs.subject.credit_code,
        "enterprise": cs.subject.name,
        "campaign": {"id": cs.campaign.id, "name": cs.campaign.name},
        "inspected_on": _iso(record.inspected_on or cs.visit_date),
        "published_at": _iso(record.published_at),
        "departments": [
            {"authority": services.authority(department_result.department), "type": services.inspection_type(department_result),
             "result": services.overall_result(department_result.items), "follow_ups": list(department_result.follow_ups or []),
             "items": [{"name": i.campaign_item.data.get("name", ""), "result": i.result} for i in department_result.items]}
            for department_result in record.department_results if department_result.submitted_at is not None
        ],
    }


@bp.get("/results")
@token_required
def results():
    """Published results of the campaigns the public may see; changed = published."""
    changed = InspectionRecord.published_at
    query = (public_pages.published().add_columns(changed.label("changed_at"))
             .order_by(None).order_by(InspectionRecord.published_at, InspectionRecord.id))
    filters = []
    if campaign := request.args.get("campaign", "").strip():
        if not campaign.isdigit():
            raise ApiRefusal(400, "campaign 应为联合抽查编号")
        filters.append(CampaignSubject.campaign_id == int(campaign))
    return _listing(query, changed, _result_json, filters)


# ---- item lists ------------------------------------------------------------------------------------------

ITEM_FIELDS = ("code", "name", "category", "basis", "body", "target", "industries", "content", "method", "ratio",
               "materials")


def _item_json(item: Item, changed_at) -> dict:
    return {"id": item.id, "department": item.department.name, **{f: getattr(item, f) for f in ITEM_FIELDS},
            "version": item.version, "updated_at": _iso(item.updated_at)}


@bp.get("/items")
@token_required
def items():
    """Active item lists of active departments, as the public item page shows them."""
    query = (public_pages.items(None).add_columns(Item.updated_at.label("changed_at"))
             .options(selectinload(Item.department)).order_by(None).order_by(Item.updated_at, Item.id))
    filters = []
    if department := request.args.get("department", "").strip():
        from ..auth.models import Department

        filters.append(Department.code == department)
    return _listing(query, Item.updated_at, _item_json, filters)


# ---- campaign plans --------------------------------------------------------------------------------------


def _campaign_changed():
    """When a campaign last changed: its latest audit entry, else its creation."""
    last_audit = (sa.select(sa.func.max(AuditEntry.at))
                  .where(AuditEntry.entity == "campaign", AuditEntry.entity_id == sa.cast(Campaign.id, sa.String))
                  .correlate(Campaign).scalar_subquery())
    return sa.func.coalesce(last_audit, Campaign.created_at)


def _campaign_json(campaign: Campaign, changed_at) -> dict:
    return {
        "id": campaign.id, "name": campaign.name, "field": campaign.field, "status": campaign.status_label,
        "lead_department": campaign.lead_department.name,
        "period": {"start": _iso(campaign.period_start), "end": _iso(campaign.period_end)},
        "visits": {"start": _iso(campaign.visit_start), "end": _iso(campaign.visit_end)},
        "departments": [
            {"department": cd.department.name, "lead": cd.is_lead,
             "items": [{"name": ci.data.get("name", ""), "method": ci.data.get("method", ""),
                        "basis": ci.data.get("basis", "")} for ci in cd.items]}
            for cd in campaign.departments],
        "changed_at": _iso(changed_at),
    }


@bp.get("/campaigns")
@token_required
def campaigns():
    """Campaign plans the public may see (a covert one once its period has ended): departments and items."""
    changed = _campaign_changed()
    query = (sa.select(Campaign, changed.label("changed_at")).where(public_pages.visible())
             .options(selectinload(Campaign.lead_department),
                      selectinload(Campaign.departments).selectinload(CampaignDepartment.department),
                      selectinload(Campaign.departments).selectinload(CampaignDepartment.items))
             .order_by(Campaign.id))
    return _listing(query, changed, _campaign_json)


# ---- the OpenAPI document --------------------------------------------------------------------------------


def _list_operation(summary: str, schema: str, extra_params=()) -> dict:
    params = [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                                                        "default": PER_PAGE}},
        {"name": "changed_since", "in": "query", "description": "只返回此时间之后变更的记录（ISO 8601；不带时区按北京时间）",
         "schema": {"type": "string", "format": "date-time"}},
        {"name": "If-Modified-Since", "in": "header", "description": "无变更时返回 304",
         "schema": {"type": "string"}},
        *extra_params,
    ]
    return {"get": {"summary": summary, "parameters": params, "security": [{"token": []}], "responses": {
        "200": {"description": "一页数据", "content": {"application/json": {"schema": {
            "type": "object", "properties": {
                "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{schema}"}},
                "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"},
                "pages": {"type": "integer"}, "next": {"type": "string", "nullable": True},
                "prev": {"type": "string", "nullable": True}}}}}},
        "304": {"description": "自 If-Modified-Since 以来没有变更"},
        "400": {"$ref": "#/components/responses/Error"},
        "401": {"$ref": "#/components/responses/Error"}}}}


def openapi_document() -> dict:
    string, date_ = {"type": "string"}, {"type": "string", "format": "date"}
    return {
        "openapi": "3.0.3",
        "info": {"title": "联查通数据共享接口", "version": "1.0",
                 "description": "只读接口：已公示的抽查结果、随机抽查事项清单、联合抽查计划。不提供执法人员、联系人、"
                                "联系电话和问题描述。每次调用均记入审计日志。令牌由领导小组办公室发放和吊销。"},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {"description": "拒绝", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"error": string}}}}}},
            "schemas": {
                "Result": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "credit_code": string, "enterprise": string,
                    "campaign": {"type": "object", "properties": {"id": {"type": "integer"}, "name": string}},
                    "inspected_on": date_, "published_at": {"type": "string", "format": "date-time"},
                    "departments": {"type": "array", "items": {"type": "object", "properties": {
                        "authority": string, "type": string, "result": string,
                        "follow_ups": {"type": "array", "items": string},
                        "items": {"type": "array", "items": {"type": "object", "properties": {
                            "name": string, "result": string}}}}}}}},
                "Item": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "department": string, **dict.fromkeys(ITEM_FIELDS, string),
                    "version": {"type": "integer"}, "updated_at": {"type": "string", "format": "date-time"}}},
                "Campaign": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "name": string, "field": string, "status": string,
                    "lead_department": string,
                    "period": {"type": "object", "properties": {"start": date_, "end": date_}},
                    "visits": {"type": "object", "properties": {"start": date_, "end": date_}},
                    "departments": {"type": "array", "items": {"type": "object", "properties": {
                        "department": string, "lead": {"type": "boolean"},
                        "items": {"type": "array", "items": {"type": "object", "properties": {
                            "name": string, "method": string, "basis": string}}}}}},
                    "changed_at": {"type": "string", "format": "date-time"}}},
            },
        },
        "paths": {
            "/results": _list_operation("已公示的抽查结果", "Result", [
                {"name": "campaign", "in": "query", "schema": {"type": "integer"}}]),
            "/items": _list_operation("随机抽查事项清单", "Item", [
                {"name": "department", "in": "query", "description": "部门代码", "schema": string}]),
            "/campaigns": _list_operation("联合抽查计划", "Campaign"),
        },
    }


@bp.get("/openapi.json")
@public
def openapi():
    """The document describing this API: public, as it holds no data."""
    return _json(openapi_document())
