"""Headers every response carries, and what no request may carry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

#: Everything comes from this site: no CDN, no inline script. The player (hls.js) feeds the
#: video element from blob: URLs and may run its transmuxer in a blob: worker.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "media-src 'self' blob:; worker-src 'self' blob:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


#: Browsers that have seen the site over HTTPS never try plain HTTP again for a year.
HSTS = "max-age=31536000; includeSubDomains"


def register_security_headers(app: Flask) -> None:
    # Served over HTTPS (secure cookies, as in production): browsers are told to keep to it.
    headers_to_add = {**HEADERS, **({"Strict-Transport-Security": HSTS}
                                    if app.config["SESSION_COOKIE_SECURE"] else {})}

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        for name, value in headers_to_add.items():
            if name not in headers:
                headers.add(name, value)
        return response


#: Views whose bodies may pass MAX_CONTENT_LENGTH (a form carrying evidence files), by
#: endpoint: their limit, from the app's config. Applied before anything reads a body (the CSRF
#: check and ``refuse_nul`` read the form), so the view's own checks can name a file too big.
BODY_LIMITS: dict[str, Callable[[Mapping[str, Any]], int]] = {}


def body_limit(endpoint: str, limit: Callable[[Mapping[str, Any]], int]) -> None:
    BODY_LIMITS[endpoint] = limit


def register_body_limits(app: Flask) -> None:
    """Call before anything else registers a ``before_request``: it must run first."""

    @app.before_request
    def raise_body_limit() -> None:
        limit = BODY_LIMITS.get(request.endpoint or "")
        if limit is not None:
            request.max_content_length = limit(app.config)


def register_input_checks(app: Flask) -> None:
    @app.before_request
    def refuse_nul() -> None:
        """PostgreSQL stores no NUL in text, and none belongs in a form: a query string, a
        form or a file name holding one is refused before anything reads it. (The API says
        which field: ``lms.jsonapi``.)"""
        if request.blueprint == "api":
            return
        texts = [*request.args.items(multi=True), *request.form.items(multi=True)]
        if (any("\x00" in name or "\x00" in value for name, value in texts)
                or any("\x00" in (upload.filename or "")
                       for _name, upload in request.files.items(multi=True))):
            raise BadRequest(_("提交的内容含有空字符（U+0000），无法处理。"))
