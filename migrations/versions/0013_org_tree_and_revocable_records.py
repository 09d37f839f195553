"""the organisation tree as the notice has it, and revocable learning records

- ``organisations``: a unit may sit in no district (市直, city-level) and may have no
  supervising department. The CHECK that required both is replaced by one that keeps the
  supervising department a unit's alone.
- ``learning_records``: a record can be revoked (who, when, why) and stays on record; totals
  skip revoked rows.

On SQLite the CHECK constraints are changed in the table's stored definition, as 0010 does:
copying ``organisations`` (batch mode) would drop a table that every account, course and role
points at.

Downgrade: refused while a unit lacks a district or a department, or a record is revoked —
the older schema cannot hold them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OLD_ORG_CHECK = (
    "ck_organisations_unit_has_district_and_department",
    "kind <> 'unit' OR (district_id IS NOT NULL AND department_id IS NOT NULL)",
)
NEW_ORG_CHECK = (
    "ck_organisations_only_units_have_a_department",
    "kind = 'unit' OR department_id IS NULL",
)
REVOKED_BY_FK = "fk_learning_records_revoked_by_id_users"
REVOCATION_CHECK = (
    "ck_learning_records_revocation_has_reason",
    "(revoked_at IS NULL) = (revoke_reason IS NULL)",
)


def _clause(check: tuple[str, str]) -> str:
    return f"CONSTRAINT {check[0]} CHECK ({check[1]})"


def _edit_sqlite_table(table: str, old: str | None, new: str | None) -> None:
    """Replace (or add, or remove) one CHECK clause in a SQLite table's stored definition: a
    change of what may be stored, never of what is."""
    bind = op.get_bind()
    written = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    if old is None:
        edited = written.rstrip().removesuffix(")") + f", {new})"
    elif new is None:
        edited = written.replace(f", {old}", "")  # as the upgrade added it
    else:
        edited = written.replace(old, new)
    if edited == written:
        raise RuntimeError(f"{table}: {old!r} is not in its definition as expected")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :name"),
        {"sql": edited, "name": table},
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _replace_check(table: str, old: tuple[str, str] | None, new: tuple[str, str] | None) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _edit_sqlite_table(table, _clause(old) if old else None, _clause(new) if new else None)
        return
    if old is not None:
        op.drop_constraint(op.f(old[0]), table, type_="check")
    if new is not None:
        op.create_check_constraint(op.f(new[0]), table, new[1])


def upgrade() -> None:
    _replace_check("organisations", OLD_ORG_CHECK, NEW_ORG_CHECK)
    op.add_column("learning_records", sa.Column("revoked_at", sa.DateTime(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a column's foreign key with it
        op.execute("ALTER TABLE learning_records ADD COLUMN revoked_by_id INTEGER "
                   f"CONSTRAINT {REVOKED_BY_FK} REFERENCES users (id)")
    else:
        op.add_column("learning_records", sa.Column("revoked_by_id", sa.Integer()))
        op.create_foreign_key(REVOKED_BY_FK, "learning_records", "users", ["revoked_by_id"], ["id"])
    op.add_column("learning_records", sa.Column("revoke_reason", sa.String(200), nullable=True))
    _replace_check("learning_records", None, REVOCATION_CHECK)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text(
        "SELECT count(*) FROM learning_records WHERE revoked_at IS NOT NULL"
    )).scalar():
        raise RuntimeError("revoked learning records exist: 0012 cannot hold them")
    if bind.execute(sa.text(
        "SELECT count(*) FROM organisations WHERE kind = 'unit' "
        "AND (district_id IS NULL OR department_id IS NULL)"
    )).scalar():
        raise RuntimeError("units without a district or a department exist: 0012 forbids them")
    _replace_check("learning_records", REVOCATION_CHECK, None)
    if bind.dialect.name != "sqlite":  # on SQLite the foreign key goes with its column
        op.drop_constraint(REVOKED_BY_FK, "learning_records", type_="foreignkey")
    op.drop_column("learning_records", "revoke_reason")
    op.drop_column("learning_records", "revoked_by_id")
    op.drop_column("learning_records", "revoked_at")
    _replace_check("organisations", NEW_ORG_CHECK, OLD_ORG_CHECK)
