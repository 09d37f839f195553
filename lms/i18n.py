"""Language selection: Simplified Chinese unless the reader chose English."""

from __future__ import annotations

from flask import current_app, has_request_context, request

LANGUAGE_COOKIE = "lms_lang"


def select_locale() -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE) if has_request_context() else None
    if chosen is not None and chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]
