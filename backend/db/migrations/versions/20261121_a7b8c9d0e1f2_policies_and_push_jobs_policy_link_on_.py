"""policies and push jobs; policy link on inbox messages

Revision ID: a7b8c9d0e1f2
Revises: f1a2b3c4d5e6
Create Date: 2026-11-21 11:03:06.178632
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import backend.db.base

revision: str = "a7b8c9d0e1f2"
down_revision: str | None = "f1a2b3c4d5e6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("policy_type", sa.String(length=30), nullable=False),
        sa.Column("issuer", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "eligibility",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "region_codes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("pushed_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by_account_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("valid_until >= valid_from", name=op.f("ck_policies_validity")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policies")),
        sa.UniqueConstraint("code", name=op.f("uq_policies_code")),
    )
    with op.batch_alter_table("policies", schema=None) as batch_op:
        batch_op.create_index("ix_policies_status", ["status", "valid_until"], unique=False)

    op.create_table(
        "policy_push_jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "policy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by_account_id", sa.BigInteger(), nullable=True),
        sa.Column("matched_count", sa.Integer(), nullable=True),
        sa.Column("pushed_count", sa.Integer(), nullable=False),
        sa.Column("last_enterprise_id", sa.BigInteger(), nullable=False),
        sa.Column("upper_enterprise_id", sa.BigInteger(), nullable=True),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name=op.f("fk_policy_push_jobs_policy_id_policies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_push_jobs")),
    )
    with op.batch_alter_table("policy_push_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_policy_push_jobs_policy_id"), ["policy_id"], unique=False
        )
        batch_op.create_index("ix_policy_push_jobs_status", ["status", "lease_until"], unique=False)
        batch_op.create_index(
            "uq_policy_push_jobs_unfinished",
            ["policy_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('PENDING', 'RUNNING')"),
            postgresql_where=sa.text("status IN ('PENDING', 'RUNNING')"),
        )

    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "policy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_index(
            "uq_inbox_messages_policy_enterprise",
            ["policy_id", "enterprise_id"],
            unique=True,
            sqlite_where=sa.text("policy_id IS NOT NULL"),
            postgresql_where=sa.text("policy_id IS NOT NULL"),
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_inbox_messages_policy_id_policies"), "policies", ["policy_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_inbox_messages_policy_id_policies"), type_="foreignkey"
        )
        batch_op.drop_index(
            "uq_inbox_messages_policy_enterprise",
            sqlite_where=sa.text("policy_id IS NOT NULL"),
            postgresql_where=sa.text("policy_id IS NOT NULL"),
        )
        batch_op.drop_column("policy_id")

    with op.batch_alter_table("policy_push_jobs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_policy_push_jobs_unfinished",
            sqlite_where=sa.text("status IN ('PENDING', 'RUNNING')"),
            postgresql_where=sa.text("status IN ('PENDING', 'RUNNING')"),
        )
        batch_op.drop_index("ix_policy_push_jobs_status")
        batch_op.drop_index(batch_op.f("ix_policy_push_jobs_policy_id"))

    op.drop_table("policy_push_jobs")
    with op.batch_alter_table("policies", schema=None) as batch_op:
        batch_op.drop_index("ix_policies_status")

    op.drop_table("policies")
