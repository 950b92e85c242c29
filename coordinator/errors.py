"""Chinese error pages: 400 (incl. CSRF), 403, 404, 413, 500."""
from __future__ import annotations

from flask import render_template
from flask_wtf.csrf import CSRFError

MESSAGES = {
    400: ("请求无效", "提交的内容无法处理，请返回上一页检查后重试。"),
    403: ("无权访问", "您的账号没有访问此页面或执行此操作的权限。如需权限，请联系领导小组办公室。"),
    404: ("页面不存在", "您要找的页面不存在或已被删除，请检查链接是否正确。"),
    405: ("操作方式不正确", "此页面不支持该操作方式，请从系统菜单进入。"),
    413: ("文件过大", "上传的文件超过了系统允许的大小，请拆分后分批上传。"),
    500: ("系统内部错误", "系统处理时出现错误，已记录。请稍后重试；如仍出现，请联系系统管理员。"),
}


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


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
