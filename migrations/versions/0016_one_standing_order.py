"""one standing rectification order per organisation

A partial unique index: of two orders issued on one organisation at once, the second is
refused by the database (the service checks first and says so; this holds when two requests
check at the same moment).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "uq_rectification_orders_standing", "rectification_orders", ["org_id"], unique=True,
        sqlite_where=sa.text("lifted_at IS NULL"), postgresql_where=sa.text("lifted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_rectification_orders_standing", table_name="rectification_orders")
