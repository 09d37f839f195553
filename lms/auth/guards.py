"""Permission guards for views. Models answer the question; these stop the request."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from lms.auth.models import Role, User


def require(allowed: bool, why: str | None = None) -> None:
    """Stop with 403 unless ``allowed``; views and services call it before any work. ``why``
    tells the person what stopped them, where the generic words would not."""
    if not allowed:
        abort(403, description=why) if why else abort(403)


def actor() -> User:
    """The logged-in user (views behind ``login_required`` only)."""
    user: User = current_user._get_current_object()
    return user


def require_login() -> User:
    """The caller of an API operation, or 401 (not a redirect to the login page)."""
    if not current_user.is_authenticated:
        abort(401)
    return actor()


def require_role(*roles: Role) -> User:
    """Stop with 403 unless the logged-in user holds one of ``roles``; return the user."""
    user = actor()
    require(any(user.has_role(role) for role in roles))
    return user
