"""Bearer tokens for non-browser clients."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from lms.auth.models import ApiToken, User
from lms.db import utcnow
from lms.extensions import db

LIFETIME = timedelta(days=30)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: User) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(token_hash=_hash(token), user=user, expires_at=utcnow() + LIFETIME)
    db.session.add(row)
    db.session.flush()
    return token, row


def user_for(header: str | None) -> User | None:
    """The active user a ``Bearer`` header's token belongs to, if it is valid."""
    if not header or not header.startswith("Bearer "):
        return None
    row = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == _hash(header[7:].strip()))
    )
    if row is None or row.revoked_at is not None or row.expires_at < utcnow():
        return None
    return row.user if row.user.is_active else None
