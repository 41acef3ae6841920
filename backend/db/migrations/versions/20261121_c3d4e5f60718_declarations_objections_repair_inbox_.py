"""declarations, objections, repair, inbox, enterprise features, connector cache

Revision ID: c3d4e5f60718
Revises: a0974b25c770
Create Date: 2026-11-21 06:34:42.935229
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import Text
from alembic import op

import backend.db.base
from sqlalchemy.dialects import postgresql

revision: str = "c3d4e5f60718"
down_revision: str | None = "a0974b25c770"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connector_cache",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "data_provider_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "enterprise_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column(
            "response",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("fetched_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_provider_id"],
            ["data_providers.id"],
            name=op.f("fk_connector_cache_data_provider_id_data_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_connector_cache_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connector_cache")),
        sa.UniqueConstraint(
            "data_provider_id",
            "enterprise_id",
            "category",
            name=op.f("uq_connector_cache_data_provider_id_enterprise_id_category"),
        ),
    )
    op.create_table(
        "enterprise_features",
        sa.Column(
            "enterprise_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("entity_type", sa.String(length=30), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("industry_code", sa.String(length=10), nullable=True),
        sa.Column("size_class", sa.String(length=10), nullable=True),
        sa.Column("years_in_business", sa.Integer(), nullable=True),
        sa.Column("registered_capital", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("annual_revenue", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("tax_credit_grade", sa.String(length=2), nullable=True),
        sa.Column("annual_tax_paid", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("is_high_tech", sa.Boolean(), nullable=True),
        sa.Column("admin_penalties_3y", sa.Integer(), nullable=True),
        sa.Column("serious_penalties_3y", sa.Integer(), nullable=True),
        sa.Column("has_enforcement", sa.Boolean(), nullable=True),
        sa.Column("on_dishonest_list", sa.Boolean(), nullable=True),
        sa.Column("on_abnormal_list", sa.Boolean(), nullable=True),
        sa.Column("has_utility_arrears", sa.Boolean(), nullable=True),
        sa.Column("honors_3y", sa.Integer(), nullable=True),
        sa.Column("credit_score", sa.Integer(), nullable=True),
        sa.Column("credit_grade", sa.String(length=2), nullable=True),
        sa.Column("is_first_time_borrower", sa.Boolean(), nullable=True),
        sa.Column(
            "declared_facts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "evaluation",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("scorecard_version", sa.String(length=40), nullable=True),
        sa.Column("computed_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_enterprise_features_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("enterprise_id", name=op.f("pk_enterprise_features")),
    )
    with op.batch_alter_table("enterprise_features", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enterprise_features_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "inbox_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "enterprise_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=True),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_inbox_messages_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_inbox_messages_dedupe_key")),
    )
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inbox_messages_enterprise", ["enterprise_id", "created_at"], unique=False
        )

    op.create_table(
        "declarations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "enterprise_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column(
            "content",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("commitment_version", sa.String(length=40), nullable=False),
        sa.Column("commitment_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column(
            "declared_by_account_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("declared_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "reviewed_by_account_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("reviewed_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["declared_by_account_id"],
            ["accounts.id"],
            name=op.f("fk_declarations_declared_by_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_declarations_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_account_id"],
            ["accounts.id"],
            name=op.f("fk_declarations_reviewed_by_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declarations")),
    )
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_declarations_enterprise_category", ["enterprise_id", "category"], unique=False
        )

    op.create_table(
        "objections",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "enterprise_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "filed_by_account_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("filed_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("forward_due_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("forwarded_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "resolved_by_account_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("resolution_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_objections_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_account_id"],
            ["accounts.id"],
            name=op.f("fk_objections_filed_by_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["credit_records.id"],
            name=op.f("fk_objections_record_id_credit_records"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_account_id"],
            ["accounts.id"],
            name=op.f("fk_objections_resolved_by_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
    )
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.create_index(
            "ix_objections_enterprise", ["enterprise_id", "filed_at"], unique=False
        )
        batch_op.create_index(
            "ix_objections_status_due", ["status", "forward_due_at"], unique=False
        )

    op.create_table(
        "repair_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "enterprise_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("commitment_version", sa.String(length=40), nullable=False),
        sa.Column("eligible_from", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "filed_by_account_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("filed_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "resolved_by_account_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("resolution_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_repair_requests_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_account_id"],
            ["accounts.id"],
            name=op.f("fk_repair_requests_filed_by_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["credit_records.id"],
            name=op.f("fk_repair_requests_record_id_credit_records"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_account_id"],
            ["accounts.id"],
            name=op.f("fk_repair_requests_resolved_by_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_requests")),
    )
    with op.batch_alter_table("repair_requests", schema=None) as batch_op:
        batch_op.create_index("ix_repair_requests_status", ["status", "filed_at"], unique=False)

    with op.batch_alter_table("data_providers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "interface",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("data_providers", schema=None) as batch_op:
        batch_op.drop_column("interface")

    with op.batch_alter_table("repair_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_repair_requests_status")

    op.drop_table("repair_requests")
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.drop_index("ix_objections_status_due")
        batch_op.drop_index("ix_objections_enterprise")

    op.drop_table("objections")
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_index("ix_declarations_enterprise_category")

    op.drop_table("declarations")
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_messages_enterprise")

    op.drop_table("inbox_messages")
    with op.batch_alter_table("enterprise_features", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprise_features_region_code"))

    op.drop_table("enterprise_features")
    op.drop_table("connector_cache")
