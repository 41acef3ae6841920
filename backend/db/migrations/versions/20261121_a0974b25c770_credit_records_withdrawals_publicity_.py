"""credit records: withdrawals, publicity expiry, all-or-nothing batches

Revision ID: a0974b25c770
Revises: 79852f70e232
Create Date: 2026-11-21 06:20:32.054364
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.db.base


revision: str = "a0974b25c770"
down_revision: str | None = "79852f70e232"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visible_until", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("withdrawn_at", backend.db.base.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("ingest_batches", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("withdrawn", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("all_or_nothing", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("ingest_batches", schema=None) as batch_op:
        batch_op.drop_column("all_or_nothing")
        batch_op.drop_column("withdrawn")

    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("visible_until")
