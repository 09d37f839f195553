"""Authentication for the API, tokens, and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from lms.api.schemas import TokenRequest, TokenResponse
from lms.auth import devices, services, tokens
from lms.auth.models import User
from lms.extensions import db, login_manager
from lms.jsonapi import bp, error_response, openapi_document, operation, parse, respond

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
#: Endpoints that check their caller's credential themselves, in the query that does their
#: work: the hooks below leave them alone rather than load the user first.
SELF_AUTHENTICATED = {"api.heartbeat"}


@login_manager.request_loader
def load_from_bearer(req: Any) -> User | None:
    """A bearer token stands in for the login session on API requests."""
    if not req.path.startswith(f"{bp.url_prefix}/"):
        return None
    user = tokens.user_for(req.headers.get("Authorization"))
    if user is not None:
        g.api_token = True
    return user


@bp.before_request
def check_csrf_for_browser_writes() -> None:
    """Cookie-authenticated writes need the page's CSRF token in ``X-CSRFToken``; a bearer
    token cannot be sent by another site, so it needs none."""
    if request.method in SAFE_METHODS or request.endpoint in SELF_AUTHENTICATED:
        return
    if current_user.is_authenticated and not g.get("api_token"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError as exc:
            raise CSRFError(str(exc)) from None


@operation("POST", "/tokens", "Exchange an ID number and password for a bearer token",
           tag="auth", body=TokenRequest, response=TokenResponse, auth=False,
           errors={401: "login_refused: wrong ID number or password, the account not active, "
                        "or too many failures (the message says which and how long to wait)",
                   403: "password_change_required: change the one-time password on the web",
                   429: "rate_limited: too many attempts from this address or for this ID "
                        "number; Retry-After says when to try again"})
def create_token() -> Any:
    form = parse(TokenRequest)
    try:
        user = services.authenticate(
            form.id_number, form.password, request.remote_addr, request.cookies.get(devices.COOKIE)
        )
    except services.LoginRefused as refused:
        db.session.commit()  # keep the failure count
        return error_response(401, "login_refused", refused)
    if user.must_change_password:
        db.session.rollback()
        return error_response(403, "password_change_required", _("请先在网页上修改初始密码。"))
    token, row = tokens.issue(user)
    db.session.commit()
    return respond(TokenResponse, {"token": token, "expires_at": row.expires_at})


@bp.route("/openapi.json")
def openapi() -> Any:
    return jsonify(openapi_document())
