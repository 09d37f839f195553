"""Slow down, then lock, repeated failed logins — so that nobody can lock an owner out.

A wrong password counts against three keys:

* the pair (account, client address): a few free tries, growing waits, then a lock — the
  guesser is locked out of that account, the owner elsewhere is not;
* the client address alone: the same, with limits high enough for a hospital behind one address;
* the account alone: growing waits capped at ``LOGIN_ACCOUNT_MAX_WAIT_SECONDS``, never a lock,
  and only for clients whose address failed lately — an address with no recent failures
  (the owner at another desk) is let through at the first try.

A device cookie (:mod:`lms.auth.devices`) from an earlier successful login to the account stands
in for all three: its failures count against the device alone.

State lives in the database so that every app process sees the same counts; rows are keyed by
an HMAC (:func:`_digest`), never by an ID number or an address.
"""

from __future__ import annotations

import hashlib
import hmac
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
    #: None: never lock, only wait.
    lock_after: int | None
    lock: timedelta
    max_wait: timedelta

    def block_for(self, failures: int) -> timedelta:
        """How long to refuse attempts after the ``failures``-th failure in a row."""
        if self.lock_after is not None and failures >= self.lock_after:
            return self.lock
        if failures >= self.slow_after:
            wait = timedelta(seconds=5 * 3 ** min(failures - self.slow_after, 10))
            return min(wait, self.max_wait, self.lock)
        return timedelta(0)

    def locks(self, failures: int) -> bool:
        return self.lock_after is not None and failures >= self.lock_after


@dataclass(frozen=True)
class Block:
    """Attempts are refused until ``until``; ``locked`` tells a lock from a slow-down."""

    until: datetime
    locked: bool

    @property
    def seconds_left(self) -> int:
        return max(1, int((self.until - utcnow()).total_seconds() + 0.999))


def _digest(kind: str, *parts: str) -> str:
    """``kind:`` and an HMAC of ``parts`` keyed with the app's secret key: the table and the
    logs name no ID number and no address, and nobody without the key can tell whose a row is."""
    message = "\0".join((kind, *parts)).encode()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return f"{kind}:{hmac.new(secret, message, hashlib.sha256).hexdigest()}"


def _id(id_number: str) -> str:
    return id_number.strip().upper()[:60]


def account_key(id_number: str) -> str:
    return _digest("account", _id(id_number))


def address_key(address: str | None) -> str:
    return _digest("address", address or "unknown")


def pair_key(id_number: str, address: str | None) -> str:
    return _digest("pair", _id(id_number), address or "unknown")


def device_key(device: str) -> str:
    return _digest("device", device)


def _policy(key: str) -> Policy:
    config = current_app.config
    lock = timedelta(minutes=config["LOGIN_LOCK_MINUTES"])
    kind = key.split(":", 1)[0]
    if kind == "account":
        wait = timedelta(seconds=config["LOGIN_ACCOUNT_MAX_WAIT_SECONDS"])
        return Policy(config["LOGIN_ACCOUNT_SLOW_AFTER"], None, lock, wait)
    if kind == "address":
        return Policy(
            config["LOGIN_ADDRESS_SLOW_AFTER"], config["LOGIN_ADDRESS_LOCK_AFTER"], lock, lock
        )
    # A pair, or a device: the guesser's own slot for one account.
    return Policy(config["LOGIN_ACCOUNT_SLOW_AFTER"], config["LOGIN_PAIR_LOCK_AFTER"], lock, lock)


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


def _rows(*keys: str) -> dict[str, LoginThrottle]:
    rows = db.session.scalars(
        sa.select(LoginThrottle)
        .where(LoginThrottle.key.in_(keys))
        .execution_options(populate_existing=True)
    )
    return {row.key: row for row in rows}


def failed_lately(key: str) -> bool:
    """Whether ``key`` has a failure that is not yet forgotten."""
    row = _rows(key).get(key)
    return row is not None and row.failures > 0 and utcnow() - row.last_failure_at <= FORGET_AFTER


def current_block(*keys: str) -> Block | None:
    """The longest block in force for any of ``keys``, or None."""
    now = utcnow()
    blocks = [
        Block(row.blocked_until, _policy(row.key).locks(row.failures))
        for row in _rows(*keys).values()
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
        policy = _policy(key)
        if now - row.last_failure_at > FORGET_AFTER or (
            row.blocked_until is not None
            and policy.locks(row.failures)
            and row.blocked_until <= now
        ):
            row.failures = 0  # a served lock or a long quiet spell starts the count again
        row.failures += 1
        row.last_failure_at = now
        delay = policy.block_for(row.failures)
        row.blocked_until = now + delay if delay else None
        if row.failures == policy.lock_after:
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


def clear(*keys: str) -> None:
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))
