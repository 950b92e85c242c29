"""Command-line interface: the same services the web pages call."""
from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from sqlalchemy.orm import undefer

from .audit.cli import audit_digest, audit_verify
from .auth.services import department_by_code, unknown_department
from .clikit import Choice, ExistingFile, FileName, Id, Month, Text, Year, ask_password, command, fail, writing
from .coverage.cli import coverage_command
from .excel.importing import Importer, run_import
from .excel.reader import FileRefused
from .extensions import db
from .states import CampaignStatus
from .stats.services import EARLIEST_YEAR, LATEST_YEAR
from .subjectfile.cli import export_subject_file
from .vocab import ROLES

CAMPAIGN_ID = Id()
YEAR = Year(EARLIEST_YEAR, LATEST_YEAR)
DEPARTMENT_CODE = Text(32)  # as Department.code
OUTPUT_FILE = click.argument("path", metavar="FILE", type=FileName())


@command("init-db")
@with_appcontext
def init_db() -> None:
    """建立或升级数据库结构（执行全部迁移）。"""
    from flask import current_app
    from flask_migrate import upgrade

    from .extensions import migrations

    migrations(current_app)
    upgrade()
    click.echo("数据库已就绪（已升级到最新结构）。")


def _import(importer: Importer, path: str, dry_run: bool) -> None:
    try:
        report = run_import(importer, path, dry_run=dry_run)
    except FileRefused as error:
        fail(str(error))
    click.echo(report.summary() + ("（预检，未写入）" if dry_run else ""))
    if report.ignored_headers:
        click.echo(f"  未识别、已忽略的列：{'、'.join(report.ignored_headers)}")
    for refused in report.refused:
        click.echo(f"  第{refused.row}行：{refused.reason}")


def import_command(name: str, help_text: str, make_importer, *extra_params):
    """A CLI import command: FILE [--dry-run] plus any extra options the importer needs."""

    @command(name, help=help_text)
    @click.argument("path", metavar="FILE", type=ExistingFile())
    @click.option("--dry-run", is_flag=True, help="只预检并报告，不写入数据库")
    @with_appcontext
    def import_file(path, dry_run, **options):
        _import(make_importer(**options), path, dry_run)

    for param in extra_params:
        import_file.params.insert(1, param)
    return import_file


def _item_importer(department):
    from .items.services import ItemImporter

    found = department_by_code(department)
    if found is None:
        fail(unknown_department(department))
    return ItemImporter(found)


def _exchange(name: str):
    def make():
        from .exchange import importers

        return getattr(importers, name)()

    return make


def _importers():
    from .directories.importers import ConflictImporter, InspectorImporter, SubjectImporter

    return [
        import_command("import-subjects", "导入检查对象名录库（Excel 或 CSV）。", SubjectImporter),
        import_command("import-inspectors", "导入执法检查人员名录库（Excel 或 CSV）。", InspectorImporter),
        import_command("import-conflicts", "导入回避关系（Excel 或 CSV）。", ConflictImporter),
        import_command("import-risk-classes", "导入市场监管部门的信用风险分类名单（Excel 或 CSV）。",
                       _exchange("RiskClassImporter")),
        import_command("import-registration",
                       "导入登记状态变更名单：注销、吊销、迁出、停业、恢复营业、名称和住所变更（Excel 或 CSV）。",
                       _exchange("RegistrationImporter")),
        import_command("import-personnel", "导入司法局行政执法人员名单（执法证），按执法证号在所属部门内匹配（Excel 或 CSV）。",
                       _exchange("PersonnelImporter")),
        import_command(
            "import-items",
            "导入某部门的随机抽查事项清单（Excel 或 CSV）。",
            _item_importer,
            click.Option(["--department"], required=True, type=DEPARTMENT_CODE, metavar="CODE", help="部门代码，如 yjj"),
        ),
    ]


def export_command(name: str, help_text: str, export):
    @command(name, help=help_text)
    @OUTPUT_FILE
    @with_appcontext
    def export_file(path):
        with writing(path):
            export(path)
        click.echo(f"已导出到 {path}")

    return export_file


def _exporters():
    from .directories.importers import export_inspectors, export_subjects
    from .items.services import export_items

    return [
        export_command("export-subjects", "导出检查对象名录库。", export_subjects),
        export_command("export-inspectors", "导出执法检查人员名录库。", export_inspectors),
        export_command("export-items", "导出全部随机抽查事项清单。", export_items),
    ]


@command("seed-demo")
@click.option("--if-empty", is_flag=True, help="数据库已有数据时什么也不做")
@with_appcontext
def seed_demo(if_empty: bool) -> None:
    """载入演示县数据（部门、账号、两库一单），并打印演示账号。"""
    from .auth.models import User
    from .demo import DEMO_PASSWORD, load_demo

    if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        if if_empty:
            click.echo("数据库中已有数据，跳过演示数据载入。")
        else:
            fail("数据库中已有数据；演示数据只能载入空数据库（可删除 instance/liancha.db 后重试）")
    else:
        for line in load_demo():
            click.echo(line)
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for user in db.session.scalars(sa.select(User).order_by(User.id)):
        department = user.department.name if user.department else "领导小组办公室"
        if user.is_inspector:  # a person, not a department's account: say who
            department = f"{department} {user.display_name}"
        click.echo(f"  {user.username:<14} {user.role_label}（{department}）")


@command("create-user")
@click.argument("username", type=Text(64, r"[A-Za-z0-9_.-]+", "用户名只能用字母、数字、下划线、点和短横线"))  # as UserForm
@click.option("--name", "display_name", required=True, type=Text(64), metavar="姓名", help="姓名")
# Inspectors' own accounts are made from the inspector directory (检查人员个人账号), each linked to its inspector.
@click.option("--role", type=Choice({k: v for k, v in ROLES.items() if k != "inspector"}), default="office",
              help="角色")
@click.option("--department", default=None, type=DEPARTMENT_CODE, metavar="CODE", help="部门代码（办公室账号不需要）")
@click.option("--password", default=None, help="密码（不给时提示输入两次，输入不回显）")
@with_appcontext
def create_user(username, display_name, role, department, password) -> None:
    """新建账号（生产环境中建立第一个办公室账号）。"""
    from .auth.forms import password_problem
    from .auth.models import User
    from .auth.services import create_user as create

    if db.session.scalar(sa.select(User).where(User.username == username)):
        fail(f"用户名“{username}”已存在")
    found = department_by_code(department) if department else None
    if role != "office" and found is None:
        fail("除办公室账号外必须用 --department 指定一个已存在的部门代码")
    if password is None:
        password = ask_password()
    if problem := password_problem(password):
        fail(problem)
    create(username, display_name, role, found, password)
    click.echo(f"账号“{username}”已建立。")


def _campaign_or_fail(campaign_id: int):
    from .campaigns.models import Campaign

    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        fail(f"联合抽查 {campaign_id} 不存在（用 list-campaigns 查看编号）")
    return campaign


@command("list-campaigns")
@with_appcontext
def list_campaigns() -> None:
    """列出全部联合抽查及其阶段。"""
    from .campaigns.models import Campaign

    rows = db.session.scalars(sa.select(Campaign).options(undefer(Campaign.active_count)).order_by(Campaign.id)).all()
    if not rows:
        click.echo("还没有联合抽查。")
    for c in rows:
        click.echo(f"{c.id:>4}  {c.status_label:<12} {c.period_start}～{c.period_end}  抽取{c.active_count:>4}户  {c.name}")


@command("export-plan")
@click.argument("year", type=YEAR)
@OUTPUT_FILE
@with_appcontext
def export_plan(year: int, path: str) -> None:
    """按年度抽查计划表格式（附件样式）导出某年度的抽查计划。"""
    from flask import current_app

    from .plans.services import write_plan

    with writing(path):
        write_plan(path, year, current_app.config["COUNTY_NAME"])
    click.echo(f"已导出到 {path}")


@command("export-records")
@click.argument("campaign_id", type=CAMPAIGN_ID)
@OUTPUT_FILE
@with_appcontext
def export_records(campaign_id: int, path: str) -> None:
    """导出一次联合抽查的全部一企一表（每户一个工作表）。"""
    from .campaigns.sheets import staffed_subjects, write_sheets

    campaign = _campaign_or_fail(campaign_id)
    subjects = staffed_subjects(campaign)
    with writing(path):
        write_sheets(path, subjects)
    click.echo(f"已导出 {len(subjects)} 户的一企一表到 {path}")


@command("export-dispatch")
@click.argument("campaign_id", type=CAMPAIGN_ID)
@OUTPUT_FILE
@with_appcontext
def export_dispatch(campaign_id: int, path: str) -> None:
    """导出派发清单（分组、姓名、手机号码），供牵头部门使用。"""
    from .campaigns.sheets import write_dispatch

    campaign = _campaign_or_fail(campaign_id)
    if not campaign.reached(CampaignStatus.TEAMED):
        fail("该联合抽查尚未组队，没有派发清单")
    with writing(path):
        write_dispatch(path, campaign)
    click.echo(f"已导出到 {path}")


@command("replay-draw")
@click.argument("campaign_id", type=CAMPAIGN_ID)
@with_appcontext
def replay_draw(campaign_id: int) -> None:
    """重放一次联合抽查的全部抽取记录，并核对每个种子的承诺与揭示；任何不一致时退出码为1。"""
    from .campaigns.models import Draw
    from .campaigns.services import replay
    from .draws.services import open_rounds, seed_source, verify_seed

    _campaign_or_fail(campaign_id)
    records = db.session.scalars(sa.select(Draw).where(Draw.campaign_id == campaign_id)
                                 .order_by(Draw.id)).all()
    failures = 0
    for record in records:
        problems = [p for p in (verify_seed(record), replay(record)) if p]
        state = "一致" if not problems else f"不一致：{'；'.join(problems)}"
        failures += bool(problems)
        click.echo(f"抽取记录 {record.id}（{record.kind}，种子 {record.seed or '未抽取'}，{seed_source(record)}）：{state}")
    for round_ in open_rounds(campaign_id):
        if round_.draw_id is None:
            click.echo(f"{round_.kind_label}：正在征集随机数承诺（截止 {round_.commit_deadline:%Y-%m-%d %H:%M}），输入尚未锁定")
    click.echo(f"共 {len(records)} 条抽取记录，{failures} 条不一致。")
    if failures:
        sys.exit(1)


@command("replay-monthly-plan")
@click.option("--month", type=Month(), default=None, metavar="YYYY-MM", help="只重放这个月的计划（默认全部）")
@with_appcontext
def replay_monthly_plan(month: str | None) -> None:
    """重放月抽查计划生成时的随机抽取，核对输入指纹与抽取结果；任何不一致时退出码为1。"""
    from .plans.models import MonthlyPlan
    from .plans.monthly import month_label, replay

    query = sa.select(MonthlyPlan).order_by(MonthlyPlan.month, MonthlyPlan.department_id)
    if month:
        query = query.where(MonthlyPlan.month == month)
    plans = db.session.scalars(query).all()
    failures = 0
    for plan in plans:
        problem = replay(plan)
        failures += bool(problem)
        state = "无随机抽取" if plan.draw_seed is None else ("一致" if not problem else f"不一致：{problem}")
        click.echo(f"月抽查计划 {plan.id}（{plan.department.name}{month_label(plan.month)}，第{plan.proposals}次生成，"
                   f"种子 {plan.draw_seed or '无'}）：{state}")
    click.echo(f"共 {len(plans)} 份月抽查计划，{failures} 份不一致。")
    if failures:
        sys.exit(1)


def check_scope_options(campaign_id: str | None, year: str | None) -> None:
    """--campaign and --year are checked in the command's body rather than by their types, so that, as on the web,
    every refusal is one line."""
    for option, value, kind in (("--campaign", campaign_id, CAMPAIGN_ID), ("--year", year, YEAR)):
        if value and value.strip():
            try:
                kind.parse(value)
            except ValueError as error:
                fail(f"{option}：{error}")


@command("stats-form", options_metavar="--campaign ID|--year YYYY")
@click.option("--campaign", "campaign_id", default=None, metavar="ID", help="联合抽查编号（list-campaigns 可查）")
@click.option("--year", default=None, metavar="YYYY", help="年度，按检查日期统计")
@OUTPUT_FILE
@with_appcontext
def stats_form(campaign_id, year, path) -> None:
    """导出全县“双随机、一公开”部门联合抽查统计表（--campaign 与 --year 二选一）。"""
    from flask import current_app

    from .stats.services import StatsError, county_form, parse_scope, reporting_office
    from .stats.xlsx import write_form
    from .timeutil import today

    check_scope_options(campaign_id, year)
    try:
        scope = parse_scope(campaign_id, year)
    except StatsError as error:
        fail(str(error))
    form = county_form(scope)
    with writing(path):
        write_form(path, form, office=reporting_office(current_app.config["COUNTY_NAME"]), filled_on=today())
    # the workbook holds the joint table and, below it, each department's own work: the line names both
    click.echo(f"已导出统计表（{scope.label}，部门联合抽查{len(form.rows)}个部门、抽查企业{form.total.figures['enterprises']}户；"
               f"全部随机抽查（含单部门）抽查企业{form.all_total.figures['enterprises']}户）到 {path}")


@command("export-publicity", options_metavar="--year YYYY|--campaign ID [--new-only]")
@click.option("--year", default=None, metavar="YYYY", help="年度（按公示日期）")
@click.option("--campaign", "campaign_id", default=None, metavar="ID", help="联合抽查编号（list-campaigns 可查）")
@click.option("--new-only", is_flag=True, help="只导出上次导出同一范围以来新增或变更的行")
@OUTPUT_FILE
@with_appcontext
def export_publicity(year, campaign_id, new_only, path) -> None:
    """导出已公示的抽查检查结果，供国家企业信用信息公示系统归集（FILE 以 .csv 结尾为 CSV，否则为 Excel）。"""
    from .exchange.services import ExchangeError, parse_scope, write_publicity
    from .exchange.services import export_publicity as export

    check_scope_options(campaign_id, year)
    try:
        scope = parse_scope(year, campaign_id)
        result = export(scope, "csv" if path.lower().endswith(".csv") else "xlsx", new_only=new_only)
    except ExchangeError as error:
        fail(str(error))
    with writing(path):
        write_publicity(path, result)
        db.session.commit()  # the export is recorded once its file is written (and before writing logs it)
    click.echo(f"{result.summary()}，已导出到 {path}")


@command("issue-api-token")
@click.argument("name", metavar="NAME", type=Text(100))
@with_appcontext
def issue_api_token(name: str) -> None:
    """为调用数据共享接口的单位（系统）发放令牌；令牌只显示这一次。"""
    from .exchange.services import issue_client

    client, token = issue_client(name, None)
    db.session.commit()
    click.echo(f"已为“{client.name}”发放令牌（编号 {client.id}），只显示这一次：")
    click.echo(token)


@command("revoke-api-token")
@click.argument("client_id", metavar="CLIENT_ID", type=Id())
@with_appcontext
def revoke_api_token(client_id: int) -> None:
    """吊销一个调用单位的令牌（编号见“数据交换”页面或发放时的输出）。"""
    from .exchange.models import ApiClient
    from .exchange.services import ExchangeError, revoke_client

    client = db.session.get(ApiClient, client_id)
    if client is None:
        fail(f"调用单位 {client_id} 不存在")
    try:
        revoke_client(client)
    except ExchangeError as error:
        fail(str(error))
    db.session.commit()
    click.echo(f"已吊销“{client.name}”的令牌。")


commands = [init_db, seed_demo, create_user, *_importers(), *_exporters(), list_campaigns, export_plan, export_records,
            export_dispatch, replay_draw, replay_monthly_plan, audit_verify, audit_digest, stats_form,
            export_publicity, issue_api_token, revoke_api_token, coverage_command, export_subject_file]
