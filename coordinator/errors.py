"""Chinese error pages: 400 (incl. CSRF), 403, 404, 413, 500, and 503 when the database cannot be reached."""
from __future__ import annotations

from flask import current_app, g, render_template
from flask_wtf.csrf import CSRFError

from .extensions import login_manager
from .health import services as health

MESSAGES = {
    400: ("请求无效", "提交的内容无法处理，请返回上一页检查后重试。"),
    403: ("无权访问", "您的账号没有访问此页面或执行此操作的权限。如需权限，请联系领导小组办公室。"),
    404: ("页面不存在", "您要找的页面不存在或已被删除，请检查链接是否正确。"),
    405: ("操作方式不正确", "此页面不支持该操作方式，请从系统菜单进入。"),
    413: ("文件过大", "上传的文件超过了系统允许的大小，请拆分后分批上传。"),
    500: ("系统内部错误", "系统处理时出现错误，已记录。请稍后重试；如仍出现，请联系系统管理员。"),
    503: ("服务暂时不可用", "数据库暂时无法连接，请稍后重试。系统已记录此情况，数据库恢复后即可正常使用；"
                           "刚才提交的内容如未显示保存成功，请在恢复后重新提交。"),
}
RETRY_AFTER_SECONDS = 30


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500])
    try:
        return render_template("errors/error.html", code=code, title=title, message=detail or message), code
    except health.UNREACHABLE_ERRORS as error:  # the page's menu loads the signed-in user
        if not health.is_unreachable(error):
            raise
        return database_unavailable(error)


def database_unavailable(error: BaseException):
    """The 503 page, which needs no database: rendered without the context processors, since Flask-Login's loads
    the signed-in user from the database, and shown as to a visitor who is not signed in (no menu)."""
    health.outage().begin(error)
    title, message = MESSAGES[503]
    visitor = login_manager.anonymous_user()
    g._login_user = visitor  # what the page asks of current_user (may() in the menu) must not load it either
    page = current_app.jinja_env.get_template("errors/error.html").render(
        code=503, title=title, message=message, current_user=visitor)
    return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}


def register_errorhandlers(app) -> None:
    from .security import log_refusal

    for code in MESSAGES:
        app.register_error_handler(code, lambda error, code=code: render_error(code))

    @app.errorhandler(403)
    def forbidden(error):
        log_refusal()
        return render_error(403)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, "页面已过期或安全校验失败（CSRF），请刷新页面后重新提交。")

    def database_error(error):
        if not health.is_unreachable(error):
            raise error  # a statement that failed on a working database: the 500 page, logged as before
        return database_unavailable(error)

    for error_class in health.UNREACHABLE_ERRORS:
        app.register_error_handler(error_class, database_error)
