"""Slow down, then lock, repeated failed logins — per account and per client address.

State lives in the database so that every app process sees the same counts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from lms.auth.models import LoginThrottle
from lms.db import rowcount, utcnow
from lms.extensions import db

logger = logging.getLogger(__name__)

#: Failures older than this are forgotten.
FORGET_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Policy:
    slow_after: int
    lock_after: int
    lock: timedelta

    def block_for(self, failures: int) -> timedelta:
        """How long to refuse attempts after the ``failures``-th failure in a row."""
        if failures >= self.lock_after:
            return self.lock
        if failures >= self.slow_after:
            wait = timedelta(seconds=5 * 3 ** min(failures - self.slow_after, 10))
            return min(wait, self.lock)
        return timedelta(0)


@dataclass(frozen=True)
class Block:
    """Attempts are refused until ``until``; ``locked`` tells a lock from a slow-down."""

    until: datetime
    locked: bool

    @property
    def seconds_left(self) -> int:
        return max(1, int((self.until - utcnow()).total_seconds() + 0.999))


def account_key(id_number: str) -> str:
    return f"account:{id_number.strip().upper()[:60]}"


def address_key(address: str | None) -> str:
    return f"address:{address or 'unknown'}"


def _policy(key: str) -> Policy:
    config = current_app.config
    lock = timedelta(minutes=config["LOGIN_LOCK_MINUTES"])
    if key.startswith("account:"):
        return Policy(config["LOGIN_ACCOUNT_SLOW_AFTER"], config["LOGIN_ACCOUNT_LOCK_AFTER"], lock)
    return Policy(config["LOGIN_ADDRESS_SLOW_AFTER"], config["LOGIN_ADDRESS_LOCK_AFTER"], lock)


def hold(key: str) -> None:
    """Lock ``key``'s row until the transaction ends, so parallel guesses at one account are
    checked one after another and each sees the failures before it."""
    if db.session.get(LoginThrottle, key) is None:
        _insert_row(key)
    # A write takes the row lock on PostgreSQL and the database write lock on SQLite.
    db.session.execute(
        sa.update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(failures=LoginThrottle.failures)
        .execution_options(synchronize_session=False)
    )


def current_block(*keys: str) -> Block | None:
    """The longest block in force for any of ``keys``, or None."""
    now = utcnow()
    rows = db.session.scalars(
        sa.select(LoginThrottle)
        .where(LoginThrottle.key.in_(keys))
        .execution_options(populate_existing=True)
    )
    blocks = [
        Block(row.blocked_until, row.failures >= _policy(row.key).lock_after)
        for row in rows
        if row.blocked_until is not None and row.blocked_until > now
    ]
    return max(blocks, key=lambda b: b.until, default=None)


def record_failure(*keys: str) -> None:
    """Count one failed attempt against each key, and block them as the policy says."""
    now = utcnow()
    for key in keys:
        row = db.session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
        if row is None:
            row = _insert_row(key)
        if now - row.last_failure_at > FORGET_AFTER or (
            row.blocked_until is not None
            and row.failures >= _policy(key).lock_after
            and row.blocked_until <= now
        ):
            row.failures = 0  # a served lock or a long quiet spell starts the count again
        row.failures += 1
        row.last_failure_at = now
        delay = _policy(key).block_for(row.failures)
        row.blocked_until = now + delay if delay else None
        if row.failures == _policy(key).lock_after:
            logger.warning("login locked for %s after %d failures", key, row.failures)
    db.session.flush()


def _insert_row(key: str) -> LoginThrottle:
    """Create the row; if another process just did, use theirs."""
    try:
        with db.session.begin_nested():
            row = LoginThrottle(key=key, failures=0, last_failure_at=utcnow())
            db.session.add(row)
        return row
    except sa.exc.IntegrityError:
        theirs = db.session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
        assert theirs is not None
        return theirs


def prune() -> int:
    """Forget rows with nothing left to remember; return how many."""
    cutoff = utcnow() - FORGET_AFTER
    result = db.session.execute(
        sa.delete(LoginThrottle).where(
            LoginThrottle.last_failure_at < cutoff,
            sa.or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < cutoff),
        )
    )
    return rowcount(result)


def clear(key: str) -> None:
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == key))
