"""Fresh, empty databases for a test run: a temporary SQLite file, or a new PostgreSQL database
on the server named by ``LMS_TEST_DATABASE_URL`` (created here, dropped afterwards)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

SERVER_URL = os.environ.get("LMS_TEST_DATABASE_URL")


@contextmanager
def fresh_database(label: str, directory: Path) -> Iterator[str]:
    if not SERVER_URL:
        yield f"sqlite:///{directory / f'{label}.sqlite3'}"
        return
    name = f"lms_{label}_{secrets.token_hex(4)}"
    admin = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
