"""Language selection: Simplified Chinese unless the reader chose English."""

from __future__ import annotations

from flask import current_app, request

LANGUAGE_COOKIE = "lms_lang"


def select_locale() -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]
