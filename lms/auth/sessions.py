"""Server-side login sessions: one row per device, ended by logout or expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from lms.auth import tokens
from lms.auth.models import LoginSession, RoleAssignment, User
from lms.db import rowcount, utcnow
from lms.extensions import db

SESSION_KEY = "lms_sid"
#: last_seen_at is written at most this often, so reads do not turn into writes.
TOUCH_EVERY = timedelta(minutes=1)


def start(user: User) -> LoginSession:
    """Open a session for ``user`` on this device and remember its token in the cookie."""
    token = tokens.new_token()
    row = LoginSession(
        token_hash=tokens.digest(token),
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
    # Every request of a signed-in user comes through here: load the user and roles with it.
    row = db.session.scalar(
        sa.select(LoginSession)
        .where(LoginSession.token_hash == tokens.digest(token))
        .options(
            joinedload(LoginSession.user)
            .selectinload(User.roles)
            .joinedload(RoleAssignment.org)
        )
    )
    if row is None or row.ended_at is not None:
        return None
    now = utcnow()
    if expired(row.created_at, row.last_seen_at, now):
        _note(row, ended_at=now)
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        _note(row, last_seen_at=now)
    return row


def expired(created_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
    """Whether a session opened at ``created_at`` and last used at ``last_seen_at`` has run
    out, by idleness or by age."""
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    max_age = current_app.config["PERMANENT_SESSION_LIFETIME"]
    return now - last_seen_at > idle or now - created_at > max_age


def _note(row: LoginSession, **values: object) -> None:
    """Record an expiry or a last-seen time without flushing the request's own work."""
    db.session.execute(
        sa.update(LoginSession).where(LoginSession.id == row.id).values(**values),
        execution_options={"synchronize_session": False},
    )
    for name, value in values.items():
        set_committed_value(row, name, value)
    db.session.info["login_session_noted"] = True


@event.listens_for(Session, "after_flush")
def _work_flushed(session: Session, flush_context: object) -> None:
    session.info["work_flushed"] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _transaction_over(session: Session, *args: object) -> None:
    session.info.pop("login_session_noted", None)
    session.info.pop("work_flushed", None)


def save_noted() -> None:
    """After a request: keep what :func:`_note` wrote, unless the transaction holds other
    writes — those are the view's to commit or drop, never this hook's."""
    if not db.session.registry.has():  # the request never used the database
        return
    info = db.session.info
    if info.get("login_session_noted") and not info.get("work_flushed"):
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
    """End every open session of ``user`` (but ``keep``) and revoke their API tokens; return
    how many sessions were ended."""
    tokens.revoke_all(user)
    query = sa.update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None)
    )
    if keep is not None:
        query = query.where(LoginSession.id != keep.id)
    return rowcount(db.session.execute(query.values(ended_at=utcnow())))


def open_sessions(user: User) -> list[LoginSession]:
    return list(
        db.session.scalars(
            sa.select(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
            .order_by(LoginSession.last_seen_at.desc())
        )
    )


def prune(older_than: timedelta) -> int:
    """Delete sessions that ended, or went idle, longer than ``older_than`` ago."""
    cutoff = utcnow() - older_than
    result = db.session.execute(
        sa.delete(LoginSession).where(
            sa.or_(LoginSession.ended_at < cutoff, LoginSession.last_seen_at < cutoff)
        )
    )
    return rowcount(result)


class SignedCookie(SecureCookieSessionInterface):
    """Flask's signed session cookie, with its serializer built once per app instead of on
    every request (it only changes with the secret key)."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        serializer = app.extensions.get("session_serializer")
        if serializer is None:
            serializer = app.extensions["session_serializer"] = super().get_signing_serializer(app)
        return serializer
