"""Server-side login sessions: one row per device, ended by logout or expiry."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g, request, session

from lms.auth.models import LoginSession, User
from lms.db import utcnow
from lms.extensions import db

SESSION_KEY = "lms_sid"
#: last_seen_at is written at most this often, so reads do not turn into writes.
TOUCH_EVERY = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User) -> LoginSession:
    """Open a session for ``user`` on this device and remember its token in the cookie."""
    token = secrets.token_urlsafe(32)
    row = LoginSession(
        token_hash=_hash(token),
        user=user,
        client_address=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:200],
    )
    db.session.add(row)
    db.session.flush()
    session[SESSION_KEY] = token
    session.permanent = True
    return row


def current() -> LoginSession | None:
    """This device's open session, if its cookie names one that has not ended or expired."""
    token = session.get(SESSION_KEY)
    if not token:
        return None
    row = db.session.scalar(sa.select(LoginSession).where(LoginSession.token_hash == _hash(token)))
    if row is None or row.ended_at is not None:
        return None
    now = utcnow()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    max_age = current_app.config["PERMANENT_SESSION_LIFETIME"]
    if now - row.last_seen_at > idle or now - row.created_at > max_age:
        row.ended_at = now
        g.login_session_changed = True
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        g.login_session_changed = True
    return row


def save_changes() -> None:
    """Commit an expiry or a last-seen time noticed while loading the user (after_request)."""
    if g.pop("login_session_changed", False):
        db.session.commit()


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the user only while this device's session is open."""
    row = current()
    if row is None or str(row.user_id) != user_id or not row.user.is_active:
        g.login_session_lost = True
        return None
    return row.user


def was_lost() -> bool:
    """Whether this request came with a login that has since ended (expired, logged out)."""
    return bool(g.get("login_session_lost"))


def end_current() -> None:
    row = current()
    if row is not None:
        row.ended_at = utcnow()
    session.pop(SESSION_KEY, None)


def end_all(user: User, keep: LoginSession | None = None) -> int:
    """End every open session of ``user`` (but ``keep``); return how many were ended."""
    query = sa.update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None)
    )
    if keep is not None:
        query = query.where(LoginSession.id != keep.id)
    return db.session.execute(query.values(ended_at=utcnow())).rowcount


def open_sessions(user: User) -> list[LoginSession]:
    return list(
        db.session.scalars(
            sa.select(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
            .order_by(LoginSession.last_seen_at.desc())
        )
    )
