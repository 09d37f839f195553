"""How a batch of heartbeats reads and writes the database.

A batch makes the same few requests whatever its size: lock its playbacks with their
progress, look up the callers' credentials, and write playbacks, progress, log and login
sessions back. On PostgreSQL these are plain SQL on the session's own psycopg connection, in
its transaction (the batch's keys as one list, its rows as one JSON document, all the writes
in one statement): at the city's peak rate SQLAlchemy's handling of a statement costs more CPU
than the statement itself. Elsewhere (SQLite, in development and tests) the same requests are
SQLAlchemy Core statements. Both stores are exercised by the whole test suite, which runs on
each database.

Playbacks are locked in the order (learner, video, playback), so two batches do not deadlock;
if they ever do, their heartbeats are judged again one at a time.

Rows come back with attribute access and UTC-aware datetimes from both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from psycopg.rows import namedtuple_row
from sqlalchemy.orm import Session, scoped_session

from lms.auth.models import AccountState, ApiToken, LoginSession, Role, RoleAssignment, User
from lms.watching.models import Heartbeat, Playback, VideoProgress

Row = dict[str, Any]


class Store(Protocol):
    def lock(self, hashes: Sequence[str]) -> Iterable[Any]:
        """The playbacks with these token hashes joined with their progress, both locked."""

    def sessions(self, digests: Sequence[str]) -> Iterable[Any]:
        """Open login sessions of active learners with these token hashes."""

    def tokens(self, digests: Sequence[str], now: datetime) -> Iterable[Any]:
        """Valid bearer tokens of active learners with these hashes."""

    def save(self, playbacks: list[Row], progress: list[Row], log: list[Row],
             seen: list[Row]) -> None:
        """Write back changed playbacks and progress, log heartbeats, note login sessions."""


def for_session(session: Session | scoped_session[Any]) -> Store:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return PostgresStore(connection.connection.driver_connection)
    return CoreStore(connection)


# --- PostgreSQL -------------------------------------------------------------------------------

_LEARNER = (
    "u.state = 'active' AND EXISTS "
    "(SELECT 1 FROM role_assignments r WHERE r.user_id = u.id AND r.role = 'learner')"
)


class PostgresStore:
    # A batch's keys travel as one comma-separated text, its rows as one JSON document: one
    # parameter each, which psycopg sends far more cheaply than arrays of many values.
    LOCK = """
        SELECT p.token_hash, p.id, p.user_id, p.video_id, p.duration,
               p.ended_at AT TIME ZONE 'UTC' AS ended_at, p.last_seq,
               p.last_beat_at AT TIME ZONE 'UTC' AS last_beat_at, p.position, p.watching,
               p.slack, p.credited, p.presence_due, p.presence_question, p.presence_answer,
               v.coverage, v.covered, v.completed_at AT TIME ZONE 'UTC' AS completed_at
        FROM playbacks p
        JOIN video_progress v ON v.user_id = p.user_id AND v.video_id = p.video_id
        WHERE p.token_hash = ANY(string_to_array(%s, ','))
        ORDER BY p.user_id, p.video_id, p.id
        FOR UPDATE OF p, v"""
    SESSIONS = f"""
        SELECT s.token_hash, s.user_id, s.id, s.created_at AT TIME ZONE 'UTC' AS created_at,
               s.last_seen_at AT TIME ZONE 'UTC' AS last_seen_at
        FROM login_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = ANY(string_to_array(%s, ',')) AND s.ended_at IS NULL
          AND {_LEARNER}"""
    TOKENS = f"""
        SELECT t.token_hash, t.user_id
        FROM api_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = ANY(string_to_array(%s, ',')) AND t.revoked_at IS NULL
          AND t.expires_at > %s AT TIME ZONE 'UTC' AND {_LEARNER}"""
    # Times travel as ISO 8601 with their offset and are stored as UTC wall time, like
    # lms.db.UTCDateTime. The keys of the rows to update are given again as a list: the planner
    # then looks them up by index instead of scanning the table to join them with the JSON.
    SAVE = """
        WITH saved_playbacks AS (
            UPDATE playbacks p SET last_seq = r.last_seq,
                last_beat_at = r.last_beat_at AT TIME ZONE 'UTC', position = r.position,
                watching = r.watching, slack = r.slack, credited = r.credited,
                presence_due = r.presence_due, presence_question = r.presence_question,
                presence_answer = r.presence_answer
            FROM json_to_recordset(%(playbacks)s::json) AS r(
                id int, last_seq int, last_beat_at timestamptz, position float8, watching bool,
                slack float8, credited float8, presence_due float8, presence_question text,
                presence_answer text)
            WHERE p.id = r.id AND p.id = ANY(string_to_array(%(playback_ids)s, ',')::int[])
        ), saved_progress AS (
            UPDATE video_progress v SET coverage = r.coverage, covered = r.covered,
                position = r.position, completed_at = r.completed_at AT TIME ZONE 'UTC',
                updated_at = r.updated_at AT TIME ZONE 'UTC'
            FROM json_to_recordset(%(progress)s::json) AS r(
                user_id int, video_id int, coverage json, covered float8, position float8,
                completed_at timestamptz, updated_at timestamptz)
            WHERE v.user_id = r.user_id AND v.video_id = r.video_id
              AND v.user_id = ANY(string_to_array(%(user_ids)s, ',')::int[])
        ), noted_sessions AS (
            UPDATE login_sessions s SET last_seen_at = r.last_seen_at AT TIME ZONE 'UTC'
            FROM json_to_recordset(%(seen)s::json) AS r(id int, last_seen_at timestamptz)
            WHERE s.id = r.id
        )
        INSERT INTO heartbeats (playback_id, seq, received_at, position, playing, visible,
                                verdict, credited)
        SELECT r.playback_id, r.seq, r.received_at AT TIME ZONE 'UTC', r.position, r.playing,
               r.visible, r.verdict, r.credited
        FROM json_to_recordset(%(log)s::json) AS r(
            playback_id int, seq bigint, received_at timestamptz, position float8,
            playing bool, visible bool, verdict text, credited float8)"""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def _rows(self, sql: str, *params: Any) -> list[Any]:
        with self.connection.cursor(row_factory=namedtuple_row) as cursor:
            return cursor.execute(sql, params).fetchall()

    def lock(self, hashes: Sequence[str]) -> Iterable[Any]:
        return self._rows(self.LOCK, ",".join(hashes))

    def sessions(self, digests: Sequence[str]) -> Iterable[Any]:
        return self._rows(self.SESSIONS, ",".join(digests))

    def tokens(self, digests: Sequence[str], now: datetime) -> Iterable[Any]:
        return self._rows(self.TOKENS, ",".join(digests), now)

    def save(self, playbacks: list[Row], progress: list[Row], log: list[Row],
             seen: list[Row]) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(self.SAVE, {
                "playbacks": _json(playbacks), "progress": _json(progress), "log": _json(log),
                "seen": _json(seen),
                "playback_ids": ",".join(str(row["id"]) for row in playbacks),
                "user_ids": ",".join(str(row["user_id"]) for row in progress),
            })


def _json(rows: list[Row]) -> str:
    return json.dumps(rows, default=_iso)


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a heartbeat batch")


# --- anywhere else: SQLAlchemy Core -----------------------------------------------------------



def _table(model: type[Any]) -> sa.Table:
    table = model.__table__
    assert isinstance(table, sa.Table)
    return table


_playbacks, _progress = _table(Playback), _table(VideoProgress)
_users, _roles = _table(User), _table(RoleAssignment)
_sessions, _tokens = _table(LoginSession), _table(ApiToken)
_ACTIVE_LEARNER = sa.and_(
    _users.c.state == AccountState.active,
    sa.exists().where(_roles.c.user_id == _users.c.id, _roles.c.role == Role.learner),
)


# The columns each kind of row writes, bound by name.
_PLAYBACK_COLUMNS = ("id", "last_seq", "last_beat_at", "position", "watching", "slack",
                     "credited", "presence_due", "presence_question", "presence_answer")
_PROGRESS_COLUMNS = ("user_id", "video_id", "coverage", "covered", "position", "completed_at",
                     "updated_at")
_SEEN_COLUMNS = ("id", "last_seen_at")


def _keyed(table: sa.Table, key: Sequence[str], columns: Sequence[str]) -> sa.Update:
    """UPDATE table SET columns WHERE key, with every value a bind parameter ``b_<column>``
    (run once with all the batch's rows)."""
    return table.update().where(
        *(table.c[k] == sa.bindparam(f"b_{k}") for k in key)
    ).values({c: sa.bindparam(f"b_{c}") for c in columns if c not in key})


class CoreStore:
    LOCK = (
        sa.select(
            _playbacks.c.token_hash, _playbacks.c.id, _playbacks.c.user_id,
            _playbacks.c.video_id, _playbacks.c.duration, _playbacks.c.ended_at,
            _playbacks.c.last_seq, _playbacks.c.last_beat_at, _playbacks.c.position,
            _playbacks.c.watching, _playbacks.c.slack, _playbacks.c.credited,
            _playbacks.c.presence_due, _playbacks.c.presence_question,
            _playbacks.c.presence_answer, _progress.c.coverage, _progress.c.covered,
            _progress.c.completed_at,
        )
        .join(_progress, sa.and_(_progress.c.user_id == _playbacks.c.user_id,
                                 _progress.c.video_id == _playbacks.c.video_id))
        .where(_playbacks.c.token_hash.in_(sa.bindparam("hashes", expanding=True)))
        .order_by(_playbacks.c.user_id, _playbacks.c.video_id, _playbacks.c.id)
        .with_for_update(of=[_playbacks, _progress])
    )
    SESSIONS = sa.select(
        _sessions.c.token_hash, _sessions.c.user_id, _sessions.c.id, _sessions.c.created_at,
        _sessions.c.last_seen_at,
    ).join(_users, _users.c.id == _sessions.c.user_id).where(
        _sessions.c.token_hash.in_(sa.bindparam("digests", expanding=True)),
        _sessions.c.ended_at.is_(None), _ACTIVE_LEARNER,
    )
    TOKENS = sa.select(_tokens.c.token_hash, _tokens.c.user_id).join(
        _users, _users.c.id == _tokens.c.user_id
    ).where(
        _tokens.c.token_hash.in_(sa.bindparam("digests", expanding=True)),
        _tokens.c.revoked_at.is_(None), _tokens.c.expires_at > sa.bindparam("now"),
        _ACTIVE_LEARNER,
    )
    SAVE_PLAYBACKS = _keyed(_playbacks, ("id",), _PLAYBACK_COLUMNS)
    SAVE_PROGRESS = _keyed(_progress, ("user_id", "video_id"), _PROGRESS_COLUMNS)
    NOTE_SESSIONS = _keyed(_sessions, ("id",), _SEEN_COLUMNS)
    LOG = _table(Heartbeat).insert()

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def lock(self, hashes: Sequence[str]) -> Iterable[Any]:
        return self.connection.execute(self.LOCK, {"hashes": list(hashes)})

    def sessions(self, digests: Sequence[str]) -> Iterable[Any]:
        return self.connection.execute(self.SESSIONS, {"digests": list(digests)})

    def tokens(self, digests: Sequence[str], now: datetime) -> Iterable[Any]:
        return self.connection.execute(self.TOKENS, {"digests": list(digests), "now": now})

    def save(self, playbacks: list[Row], progress: list[Row], log: list[Row],
             seen: list[Row]) -> None:
        for statement, rows in [(self.SAVE_PLAYBACKS, playbacks), (self.SAVE_PROGRESS, progress),
                                (self.NOTE_SESSIONS, seen)]:
            if rows:
                self.connection.execute(statement, [_bound(row) for row in rows])
        if log:
            self.connection.execute(self.LOG, log)


def _bound(row: Row) -> Row:
    return {f"b_{name}": value for name, value in row.items()}
