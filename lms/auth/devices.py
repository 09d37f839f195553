"""Device cookies: a signed, long-lived note, set at a successful login, that this browser has
logged in to this account before. The throttle lets such a browser past the waits and locks that
other people's failures caused; its own failures count against it alone."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from lms.auth.models import User

COOKIE = "lms_device"
LIFETIME = timedelta(days=365)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lms.device-cookie")


def remember(response: Response, user: User) -> None:
    """Give this browser a fresh device cookie naming ``user``."""
    value = _serializer().dumps({"u": user.id, "d": secrets.token_urlsafe(16)})
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(LIFETIME.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


def device_for(cookie: str | None, user: User | None) -> str | None:
    """The device's own id, if ``cookie`` is a genuine, unexpired device cookie naming ``user``."""
    if not cookie or user is None:
        return None
    try:
        data = _serializer().loads(cookie, max_age=int(LIFETIME.total_seconds()))
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("u") != user.id:
        return None
    device = data.get("d")
    return device if isinstance(device, str) else None
