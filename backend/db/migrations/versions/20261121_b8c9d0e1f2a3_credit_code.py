"""credit code: the enterprise's public page switch and its current slug

Revision ID: b8c9d0e1f2a3
Revises: a7b8c9d0e1f2
Create Date: 2026-11-21 13:42:07.755122
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.db.base

revision: str = "b8c9d0e1f2a3"
down_revision: str | None = "a7b8c9d0e1f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_codes",
        sa.Column(
            "enterprise_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("slug", sa.String(length=43), nullable=True),
        sa.Column("enabled_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_credit_codes_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("enterprise_id", name=op.f("pk_credit_codes")),
        sa.UniqueConstraint("slug", name=op.f("uq_credit_codes_slug")),
    )


def downgrade() -> None:
    op.drop_table("credit_codes")
