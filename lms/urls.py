"""URL helpers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for
from werkzeug.routing import IntegerConverter, Map

from lms.db import MAX_ID


class IdConverter(IntegerConverter):
    """The app's ``<int:…>``: a number from 1 to ``MAX_ID`` unless the rule says otherwise
    (``<int(max=None):…>``). Any other number does not match the route, so it is a 404
    rather than a query that fails on it."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = 1,
                 max: int | None = MAX_ID, signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def absolute_url(endpoint: str, **values: Any) -> str:
    """The full address of ``endpoint`` as people reach the site: ``LMS_PUBLIC_URL`` and the
    path, never the request's Host header."""
    return str(current_app.config["PUBLIC_URL"]) + url_for(endpoint, **values)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target
