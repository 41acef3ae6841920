"""one open objection per record (partial unique index)

Revision ID: d5e6f7a8b9c0
Revises: c3d4e5f60718
Create Date: 2026-11-21 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d5e6f7a8b9c0"
down_revision: str | None = "c3d4e5f60718"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("status IN ('SUBMITTED', 'FORWARDED')")


def upgrade() -> None:
    op.create_index(
        "uq_objections_open_record",
        "objections",
        ["record_id"],
        unique=True,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index("uq_objections_open_record", table_name="objections")
