"""Random tokens behind a login: the secret goes to the client once, the database keeps its
digest. Login sessions (cookie) and API bearer tokens both use them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from lms.auth.models import ApiToken, User
from lms.db import utcnow
from lms.extensions import db

LIFETIME = timedelta(days=30)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What the database keeps of a token: a stolen table opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: User) -> tuple[str, ApiToken]:
    """A bearer token for a non-browser client of the JSON API."""
    token = new_token()
    row = ApiToken(token_hash=digest(token), user=user, expires_at=utcnow() + LIFETIME)
    db.session.add(row)
    db.session.flush()
    return token, row


def user_for(header: str | None) -> User | None:
    """The active user a ``Bearer`` header's token belongs to, if it is valid."""
    if not header or not header.startswith("Bearer "):
        return None
    row = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == digest(header[7:].strip()))
    )
    if row is None or row.revoked_at is not None or row.expires_at < utcnow():
        return None
    return row.user if row.user.is_active else None


def revoke_all(user: User) -> None:
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
