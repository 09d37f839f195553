"""A probe for bench/heartbeat.py: the least any heartbeat endpoint could do, written as bare
WSGI on bare psycopg, without Flask or SQLAlchemy.

Per request it parses the JSON, hashes the playback id and the bearer token, locks the
playback's row, writes its sequence number and position, and commits: no credential check, no
judging, no progress, no log. What it reaches on a machine is what Python, gunicorn and a
transaction per request cost there, before any of the real endpoint's work.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

import psycopg

DATABASE_URL = os.environ["LMS_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
_local = threading.local()


def _connection() -> psycopg.Connection[Any]:
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = _local.connection = psycopg.connect(DATABASE_URL)
    return connection


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    hashlib.sha256(environ.get("HTTP_AUTHORIZATION", "")[7:].encode()).hexdigest()
    playback = hashlib.sha256(body["playback"].encode()).hexdigest()
    connection = _connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM playbacks WHERE token_hash = %s FOR UPDATE", (playback,))
        row = cursor.fetchone()
        if row is not None:
            cursor.execute("UPDATE playbacks SET last_seq = %s, position = %s WHERE id = %s",
                           (body["seq"], body["position"], row[0]))
    connection.commit()
    answer = json.dumps({"active": row is not None}).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(answer)))])
    return [answer]
