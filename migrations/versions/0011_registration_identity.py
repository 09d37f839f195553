"""registration identity

A refused registration keeps its row (state ``refused``, with the reviewer's reason) but no
longer holds its ID number, nor does an account whose number a city admin released
(``id_number_released_at``): the unique constraint on ``users.id_number`` becomes a unique
index over the accounts that hold their number.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD_STATES = "'pending', 'active', 'disabled'"
NEW_STATES = "'pending', 'active', 'disabled', 'refused'"
HELD = sa.text("state <> 'refused' AND id_number_released_at IS NULL")


def _sqlite_states(old: str, new: str) -> None:
    """Widen or narrow the CHECK of ``users.state`` in place. SQLite cannot alter a
    constraint, and copying ``users`` (batch mode) would drop it while foreign keys are on,
    cascading to every table that references it; a CHECK is not part of the stored data, so
    SQLite's documented procedure of rewriting the schema text is safe here."""
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    changed = bind.execute(
        sa.text(
            "UPDATE sqlite_master SET sql = replace(sql, :old, :new) "
            "WHERE type = 'table' AND name = 'users' AND instr(sql, :old) > 0"
        ),
        {"old": f"state IN ({old})", "new": f"state IN ({new})"},
    ).rowcount
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")
    if changed != 1:
        raise RuntimeError("the CHECK constraint on users.state is not the one expected")


@contextmanager
def _users_rebuilt() -> Iterator[None]:
    """On SQLite, changing a UNIQUE constraint copies ``users``, and dropping the old copy
    while foreign keys are enforced would cascade to every table referencing it: foreign keys
    are switched off (possible only between transactions) and checked again afterwards."""
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    raw = op.get_bind().connection.driver_connection
    in_transaction = raw.in_transaction
    if in_transaction:
        raw.execute("COMMIT")
    raw.execute("PRAGMA foreign_keys=OFF")
    raw.execute("BEGIN IMMEDIATE")
    try:
        yield
        if raw.execute("PRAGMA foreign_key_check").fetchall():
            raise RuntimeError("rebuilding users broke a foreign key")
        raw.execute("COMMIT")
    except BaseException:
        raw.execute("ROLLBACK")
        raise
    finally:
        raw.execute("PRAGMA foreign_keys=ON")
        if in_transaction:
            raw.execute("BEGIN IMMEDIATE")


def _states(old: str, new: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_states(old, new)
    else:
        op.drop_constraint(op.f("ck_users_account_state"), "users", type_="check")
        op.create_check_constraint(op.f("ck_users_account_state"), "users", f"state IN ({new})")


def upgrade() -> None:
    # Registrations refused before this revision were stored as disabled: they stay disabled
    # (and keep their number) as nothing says which of the disabled accounts they were.
    with _users_rebuilt(), op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("refusal_reason", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("id_number_released_at", sa.DateTime(), nullable=True))
        batch.drop_constraint("uq_users_id_number", type_="unique")
    _states(OLD_STATES, NEW_STATES)
    op.create_index("ix_users_id_number", "users", ["id_number"])
    op.create_index("uq_users_id_number_held", "users", ["id_number"], unique=True,
                    sqlite_where=HELD, postgresql_where=HELD)


def downgrade() -> None:
    clashes = op.get_bind().exec_driver_sql(
        "SELECT count(*) FROM users WHERE id_number_released_at IS NOT NULL AND EXISTS "
        "(SELECT 1 FROM users AS holder WHERE holder.id_number = users.id_number "
        "AND holder.id <> users.id AND holder.id_number_released_at IS NULL "
        "AND holder.state <> 'refused')"
    ).scalar_one()
    if clashes:
        raise RuntimeError(
            f"{clashes} released ID numbers are held by other accounts again; the unique "
            "constraint of 0008 cannot hold both (each account keeps its records)"
        )
    # Refused registrations go back to the only state that meant it before: disabled. Where
    # another account has the number (its real owner, or a later refused registration), the
    # refused row cannot keep it under a unique constraint: such rows are removed (never
    # activated, they own no records; the refusal is in the audit entries).
    op.execute(
        "DELETE FROM users WHERE state = 'refused' AND EXISTS "
        "(SELECT 1 FROM users AS other WHERE other.id_number = users.id_number "
        "AND other.id <> users.id AND (other.state <> 'refused' OR other.id > users.id))"
    )
    op.execute("UPDATE users SET state = 'disabled' WHERE state = 'refused'")
    op.drop_index("uq_users_id_number_held", "users")
    op.drop_index("ix_users_id_number", "users")
    with _users_rebuilt(), op.batch_alter_table("users") as batch:
        batch.drop_column("refusal_reason")
        batch.drop_column("id_number_released_at")
        batch.create_unique_constraint("uq_users_id_number", ["id_number"])
    _states(NEW_STATES, OLD_STATES)
