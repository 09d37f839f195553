"""Declarative base with a constraint naming convention, and shared column types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Row = TypeVar("Row")

#: The largest id PostgreSQL's 32-bit ``integer`` holds. A number past it names no row, and
#: a query comparing a column with it fails there (past 2**63 on SQLite): ids from outside are
#: checked against it before they reach a query.
MAX_ID = 2**31 - 1


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime, stored naive so SQLite and PostgreSQL agree."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def str_enum(enum_class: type, name: str) -> sa.Enum:
    """An enum column stored as its values, guarded by a CHECK constraint on every backend."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite: enforce foreign keys and let SQLAlchemy own transactions (so savepoints work)."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: sa.Connection) -> None:
    """SQLite: take the write lock up front. A deferred transaction that reads, then writes,
    fails at once with "database is locked" when another one writes; waiting in line at the
    start (busy_timeout) is what the embedded set-up needs."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def insert_once(session: Any, model: type[Row], **values: Any) -> Row | None:
    """Insert a row unless one with the same unique key exists: the new row when this call
    inserted it, None when it was there. The database decides, so a retry or a race between
    two servers inserts it once."""
    from sqlalchemy.dialects import postgresql, sqlite

    postgres = session.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if postgres else sqlite.insert
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(model)
    row: Row | None = session.scalar(statement)
    return row


def rowcount(result: sa.Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (a cursor's result has the count; typing says Result)."""
    return cast(sa.CursorResult[Any], result).rowcount


def append_only_statements(table: str) -> dict[str, list[str]]:
    """The triggers that make ``table`` append-only: UPDATE, DELETE (and on SQLite INSERT OR
    REPLACE of a taken id; on PostgreSQL TRUNCATE) refused by the database itself. A migration
    keeps its own copy of what it ran; this is for schemas built from the models."""
    refusal = f"{table} is append-only"
    return {
        "sqlite": [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END",
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) "
            f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END",
        ],
        "postgresql": [
            f"CREATE FUNCTION {table}_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION USING MESSAGE = '{refusal}', DETAIL = TG_OP || ' refused', "
            "ERRCODE = 'restrict_violation'; END $$",
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_refuse()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_refuse()",
        ],
    }


def append_only(table: sa.Table) -> None:
    """Give ``table`` its append-only triggers whenever the models create it."""
    for dialect, statements in append_only_statements(table.name).items():
        for statement in statements:
            event.listen(table, "after_create", sa.DDL(statement).execute_if(dialect=dialect))
