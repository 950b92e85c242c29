"""The office's exchange pages: each source's freshness and imports, the publicity export, API clients."""
from __future__ import annotations

import io

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from wtforms import SelectChoice

from ..access import roles_required
from ..campaigns.models import Campaign
from ..excel.writer import XLSX_MIMETYPE
from ..extensions import db
from ..pagination import paginate
from . import services
from .forms import ApiClientForm, PublicityExportForm
from .models import ApiClient

bp = Blueprint("exchange", __name__, url_prefix="/exchange")
IMPORT_PAGES = (("directory", "subjects"), ("risk", "risk-classes"), ("registration", "registration"),
                ("personnel", "personnel"))


def _export_form() -> PublicityExportForm:
    form = PublicityExportForm()
    campaigns = db.session.execute(sa.select(Campaign.id, Campaign.name).order_by(Campaign.id.desc())).all()
    form.campaign_id.choices = [SelectChoice("", "（按年度导出）")] + [SelectChoice(str(c.id), f"{c.id} {c.name}")
                                                                  for c in campaigns]
    return form


def _overview(form: PublicityExportForm, error: str | None = None):
    return render_template("exchange/index.html", freshness=services.freshness(), import_pages=dict(IMPORT_PAGES),
                           flags=services.open_flags(), missing=db.session.scalar(
                               sa.select(sa.func.count()).select_from(services.missing_subjects().subquery())),
                           exports=services.exports(), form=form, error=error,
                           clients=services.clients())


@bp.get("/")
@roles_required("office")
def index():
    return _overview(_export_form())


@bp.post("/publicity")
@roles_required("office")
def publicity():
    """Download the results for the publicity system; the export is recorded, so it is a POST."""
    form = _export_form()
    if not form.validate_on_submit():
        return _overview(form, "；".join(e for errors in form.errors.values() for e in errors))
    try:
        scope = services.parse_scope(form.year.data, form.campaign_id.data)
        result = services.export_publicity(scope, form.file_format.data, new_only=form.new_only.data)
    except services.ExchangeError as error:
        db.session.rollback()
        return _overview(form, str(error))
    buffer = io.BytesIO()
    services.write_publicity(buffer, result)
    db.session.commit()
    buffer.seek(0)
    csv = result.export.file_format == "csv"
    return send_file(buffer, as_attachment=True, download_name=f"{scope.filename}.{'csv' if csv else 'xlsx'}",
                     mimetype="text/csv; charset=utf-8" if csv else XLSX_MIMETYPE)


@bp.get("/missing")
@roles_required("office")
def missing():
    page = paginate(services.missing_subjects(), request.args.get("page", 1, type=int))
    return render_template("exchange/missing.html", page=page, sources=services.SOURCES)


@bp.get("/api-clients")
@roles_required("office")
def api_clients():
    return render_template("exchange/api_clients.html", clients=services.clients(), form=ApiClientForm(), token=None)


@bp.post("/api-clients")
@roles_required("office")
def issue_api_client():
    form = ApiClientForm()
    if not form.validate_on_submit():
        return render_template("exchange/api_clients.html", clients=services.clients(), form=form, token=None)
    client, token = services.issue_client(form.name.data, current_user)
    db.session.commit()
    # Shown on this page once, never stored in clear nor put in the session cookie.
    return render_template("exchange/api_clients.html", clients=services.clients(), form=ApiClientForm(formdata=None),
                           token=token, issued=client)


@bp.post("/api-clients/<int:client_id>/revoke")
@roles_required("office")
def revoke_api_client(client_id):
    client = db.session.get(ApiClient, client_id)
    if client is None:
        abort(404)
    try:
        services.revoke_client(client)
        db.session.commit()
        flash(f"已吊销“{client.name}”的令牌，其后的调用将被拒绝", "success")
    except services.ExchangeError as error:
        flash(str(error), "warning")
    return redirect(url_for("exchange.api_clients"))
