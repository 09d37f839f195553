"""Friendly error pages: a person sees what happened and what to do, never a stack trace. A
request that wants JSON (the API, or a page's script) gets the API's one error shape."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from lms import jsonapi
from lms.extensions import db

logger = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("请求无效"), _l("提交的内容无法处理，请返回上一页重试。")),
    401: (_l("未登录"), _l("请先登录，或在请求中带上有效的令牌。")),
    403: (_l("没有权限"), _l("您没有访问此页面的权限。如需开通，请联系所在单位或市人社局。")),
    404: (_l("页面不存在"), _l("您访问的页面不存在或已被删除。")),
    405: (_l("请求方式不正确"), _l("请通过页面上的按钮操作。")),
    410: (_l("链接已过期"), _l("播放链接已过期，请返回课程页面重新打开视频。")),
    413: (_l("文件过大"), _l("上传的内容超过了允许的大小，请压缩或拆分后再试。")),
    429: (_l("请求过于频繁"), _l("短时间内来自这里的请求太多，请稍等几分钟再试。")),
    500: (_l("系统出错"), _l("服务器处理时出现了问题，我们已记录下来。请稍后再试。")),
}
CSRF_MESSAGE = (_l("页面已过期"), _l("页面停留时间过长或表单已失效，请刷新页面后重新提交。"))


def wants_json() -> bool:
    """The API, and a page's script posting JSON or asking for it."""
    return (request.path.startswith("/api/") or request.is_json
            or request.accept_mimetypes.best == "application/json")


def _render(code: int, title: object, message: object) -> tuple[str, int]:
    return render_template("error.html", code=code, title=title, message=message), code


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        if wants_json():
            return jsonapi.error_response(400, "csrf_failed", CSRF_MESSAGE[1])
        return _render(400, *CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        if isinstance(error, jsonapi.ApiError):  # already in the API's shape
            return error
        code = error.code or 500
        # Raised with our own words (the default description is werkzeug's English).
        own = error.description if error.description != type(error).description else None
        if code == 429:  # a rate limit describes itself in English ("20 per 1 minute")
            own = None
        if wants_json():
            return jsonapi.http_error_response(error, own)
        # Any other status (416 of a byte range past the end, 429, ...) gets the closest
        # words we have rather than werkzeug's English page.
        title, message = MESSAGES.get(code) or MESSAGES[500 if code >= 500 else 400]
        return _render(code, title, own or message)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> ResponseReturnValue:
        db.session.rollback()
        logger.error("unhandled error on %s", request.path, exc_info=error.original_exception)
        if wants_json():
            return jsonapi.http_error_response(InternalServerError())
        return _render(500, *MESSAGES[500])
