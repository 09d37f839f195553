"""throttle keys without ID numbers

The login throttle's rows were keyed by the ID number ("account:<id number>") and the client
address; they are now keyed by an HMAC and the account is no longer locked, only the (account,
address) pair. The old rows are cleared: they hold at most an hour of failures, and nobody is
locked out by the upgrade (every lock in force ends with it).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM login_throttles")


def downgrade() -> None:
    # The new rows name nothing the old code can read: start it with an empty table too.
    op.execute("DELETE FROM login_throttles")
