"""video rendition bytes

The bytes of a video's published renditions, so that a provider's storage (originals and
renditions together) can be held to a quota. Videos published before this revision count their
originals only until they are processed again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite 3.35+ drops a column in place): no copy of
# ``videos``, whose copy on SQLite would cascade to the rows that reference it.
def upgrade() -> None:
    op.add_column("videos", sa.Column("rendition_bytes", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("videos", "rendition_bytes")
