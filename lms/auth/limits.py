"""Rate limits on logging in (the page and ``POST /api/v1/tokens``) and on registering, from
Flask-Limiter: a generous limit per client address (a hospital's staff share one) and a tighter
one per ID number. Counters live in ``RATELIMIT_STORAGE_URI`` — Redis in production, where
every process must see the same counts.

The ID number is read from the form or the JSON body only to name a counter (by its HMAC, as
the throttle's rows are): it is trusted for nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from lms import jsonapi
from lms.auth import devices, services, throttle

#: Endpoint → (per-address limit setting, per-ID-number limit setting). Logging in on the page
#: and asking the API for a token share their counters.
LIMITED = {
    "auth.login": ("login", "LOGIN_RATE_LIMIT_PER_ADDRESS", "LOGIN_RATE_LIMIT_PER_ID_NUMBER"),
    "api.create_token": ("login", "LOGIN_RATE_LIMIT_PER_ADDRESS", "LOGIN_RATE_LIMIT_PER_ID_NUMBER"),
    "auth.register": (
        "register", "REGISTER_RATE_LIMIT_PER_ADDRESS", "REGISTER_RATE_LIMIT_PER_ID_NUMBER"
    ),
}


def _claimed_id_number() -> str | None:
    """The ID number the request names, if any, unchecked."""
    value: Any = request.form.get("id_number")
    if value is None and request.is_json:
        try:
            body = jsonapi.loads(request.get_data(cache=True))
        except ValueError:
            body = None
        value = body.get("id_number") if isinstance(body, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def _id_number_key() -> str:
    number = _claimed_id_number()
    return throttle.account_key(number) if number else "account:none"


def _owners_device() -> bool:
    """A device cookie from an earlier login to the account named is not held to the per-ID
    number limit: a stranger flooding an ID number does not keep its owner out."""
    number = _claimed_id_number()
    cookie = request.cookies.get(devices.COOKIE)
    if not number or not cookie:
        return False
    return devices.device_for(cookie, services.user_by_id_number(number)) is not None


def _setting(name: str) -> Callable[[], str]:
    return lambda: str(current_app.config[name])


def init_app(app: Flask) -> None:
    """Attach the limits to their endpoints (after the blueprints are registered). Each app has
    its own limiter, bound to its own storage."""
    limiter = Limiter(get_remote_address, app=app)
    app.extensions["lms.limiter"] = limiter  # the limits hold it only by a weak reference
    for endpoint, (scope, per_address, per_id_number) in LIMITED.items():
        view: Any = app.view_functions[endpoint]
        view = limiter.shared_limit(
            _setting(per_address), scope=f"{scope}-address", methods=["POST"]
        )(view)
        view = limiter.shared_limit(
            _setting(per_id_number),
            scope=f"{scope}-id-number",
            key_func=_id_number_key,
            methods=["POST"],
            exempt_when=_owners_device,
        )(view)
        app.view_functions[endpoint] = view
