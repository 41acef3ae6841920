"""lending products demands applications loans risk alerts

Revision ID: f1a2b3c4d5e6
Revises: e7f8a9b0c1d2
Create Date: 2026-11-21 09:35:10.835098
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import backend.db.base

revision: str = "f1a2b3c4d5e6"
down_revision: str | None = "e7f8a9b0c1d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "financing_demands",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "enterprise_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("first_response_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_account_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_financing_demands_positive_amount")),
        sa.CheckConstraint("term_months > 0", name=op.f("ck_financing_demands_positive_term")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_financing_demands_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_financing_demands")),
    )
    with op.batch_alter_table("financing_demands", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_financing_demands_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index("ix_financing_demands_status", ["status", "created_at"], unique=False)

    op.create_table(
        "loan_products",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code", sa.String(length=60), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("product_type", sa.String(length=20), nullable=False),
        sa.Column("min_amount", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("max_amount", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("min_term_months", sa.Integer(), nullable=False),
        sa.Column("max_term_months", sa.Integer(), nullable=False),
        sa.Column("min_annual_rate", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("max_annual_rate", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column(
            "region_codes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "eligibility",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "required_scopes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("target_grade", sa.String(length=2), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_account_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "min_amount > 0 AND max_amount >= min_amount",
            name=op.f("ck_loan_products_amount_range"),
        ),
        sa.CheckConstraint(
            "min_annual_rate >= 0 AND max_annual_rate >= min_annual_rate",
            name=op.f("ck_loan_products_rate_range"),
        ),
        sa.CheckConstraint(
            "min_term_months > 0 AND max_term_months >= min_term_months",
            name=op.f("ck_loan_products_term_range"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_loan_products_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_products")),
        sa.UniqueConstraint(
            "institution_id", "code", name=op.f("uq_loan_products_institution_id_code")
        ),
    )
    with op.batch_alter_table("loan_products", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loan_products_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index("ix_loan_products_status", ["status", "id"], unique=False)

    op.create_table(
        "demand_offers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "demand_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("created_by_account_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["demand_id"],
            ["financing_demands.id"],
            name=op.f("fk_demand_offers_demand_id_financing_demands"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_demand_offers_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["loan_products.id"],
            name=op.f("fk_demand_offers_product_id_loan_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_offers")),
        sa.UniqueConstraint(
            "demand_id", "product_id", name=op.f("uq_demand_offers_demand_id_product_id")
        ),
    )
    with op.batch_alter_table("demand_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_demand_offers_demand_id"), ["demand_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_demand_offers_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "loan_product_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "snapshot",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_by_account_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["loan_products.id"],
            name=op.f("fk_loan_product_versions_product_id_loan_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_product_versions")),
        sa.UniqueConstraint(
            "product_id", "version", name=op.f("uq_loan_product_versions_product_id_version")
        ),
    )
    op.create_table(
        "loan_applications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "enterprise_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("product_version", sa.Integer(), nullable=False),
        sa.Column("demand_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "authorization_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("live_key", sa.String(length=80), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("request_digest", sa.String(length=64), nullable=True),
        sa.Column("requested_amount", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("requested_term_months", sa.Integer(), nullable=True),
        sa.Column("approved_amount", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("annual_rate", sa.Numeric(precision=8, scale=6), nullable=True),
        sa.Column("approved_term_months", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column("referral_consent", sa.Boolean(), nullable=False),
        sa.Column("decided_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_account_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by_account_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["authorizations.id"],
            name=op.f("fk_loan_applications_authorization_id_authorizations"),
        ),
        sa.ForeignKeyConstraint(
            ["demand_id"],
            ["financing_demands.id"],
            name=op.f("fk_loan_applications_demand_id_financing_demands"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_loan_applications_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_loan_applications_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["loan_products.id"],
            name=op.f("fk_loan_applications_product_id_loan_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_applications")),
        sa.UniqueConstraint(
            "enterprise_id",
            "idempotency_key",
            name=op.f("uq_loan_applications_enterprise_id_idempotency_key"),
        ),
        sa.UniqueConstraint("live_key", name=op.f("uq_loan_applications_live_key")),
    )
    with op.batch_alter_table("loan_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loan_applications_demand_id"), ["demand_id"], unique=False
        )
        batch_op.create_index(
            "ix_loan_applications_enterprise", ["enterprise_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_loan_applications_institution", ["institution_id", "status", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_loan_applications_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "loans",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "enterprise_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("annual_rate", sa.Numeric(precision=8, scale=6), nullable=True),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("disbursed_on", sa.Date(), nullable=False),
        sa.Column("is_credit_loan", sa.Boolean(), nullable=False),
        sa.Column("is_first_loan", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_account_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_loans_positive_amount")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["loan_applications.id"],
            name=op.f("fk_loans_application_id_loan_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_loans_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_loans_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["loan_products.id"], name=op.f("fk_loans_product_id_loan_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loans")),
        sa.UniqueConstraint("application_id", name=op.f("uq_loans_application_id")),
    )
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.create_index(
            "ix_loans_enterprise_status", ["enterprise_id", "status"], unique=False
        )
        batch_op.create_index("ix_loans_institution", ["institution_id", "id"], unique=False)

    op.create_table(
        "loan_performance",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("loan_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("reported_by_account_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_loan_performance_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_performance")),
    )
    with op.batch_alter_table("loan_performance", schema=None) as batch_op:
        batch_op.create_index("ix_loan_performance_loan", ["loan_id", "reported_on"], unique=False)

    op.create_table(
        "risk_alerts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "enterprise_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("loan_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("dedupe_key", sa.String(length=160), nullable=False),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_risk_alerts_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_risk_alerts_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_risk_alerts_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_alerts")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_risk_alerts_dedupe_key")),
    )
    with op.batch_alter_table("risk_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_risk_alerts_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index("ix_risk_alerts_institution", ["institution_id", "id"], unique=False)

    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "institution_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.alter_column("enterprise_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(
            "ix_inbox_messages_institution", ["institution_id", "created_at"], unique=False
        )
        batch_op.create_check_constraint(
            op.f("ck_inbox_messages_one_addressee"),
            "(enterprise_id IS NULL) <> (institution_id IS NULL)",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_inbox_messages_institution_id_institutions"),
            "institutions",
            ["institution_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_inbox_messages_one_addressee"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_inbox_messages_institution_id_institutions"), type_="foreignkey"
        )
        batch_op.drop_index("ix_inbox_messages_institution")
        batch_op.alter_column("enterprise_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("institution_id")

    with op.batch_alter_table("risk_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_risk_alerts_institution")
        batch_op.drop_index(batch_op.f("ix_risk_alerts_enterprise_id"))

    op.drop_table("risk_alerts")
    with op.batch_alter_table("loan_performance", schema=None) as batch_op:
        batch_op.drop_index("ix_loan_performance_loan")

    op.drop_table("loan_performance")
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_index("ix_loans_institution")
        batch_op.drop_index("ix_loans_enterprise_status")

    op.drop_table("loans")
    with op.batch_alter_table("loan_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_applications_product_id"))
        batch_op.drop_index("ix_loan_applications_institution")
        batch_op.drop_index("ix_loan_applications_enterprise")
        batch_op.drop_index(batch_op.f("ix_loan_applications_demand_id"))

    op.drop_table("loan_applications")
    op.drop_table("loan_product_versions")
    with op.batch_alter_table("demand_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_demand_offers_institution_id"))
        batch_op.drop_index(batch_op.f("ix_demand_offers_demand_id"))

    op.drop_table("demand_offers")
    with op.batch_alter_table("loan_products", schema=None) as batch_op:
        batch_op.drop_index("ix_loan_products_status")
        batch_op.drop_index(batch_op.f("ix_loan_products_institution_id"))

    op.drop_table("loan_products")
    with op.batch_alter_table("financing_demands", schema=None) as batch_op:
        batch_op.drop_index("ix_financing_demands_status")
        batch_op.drop_index(batch_op.f("ix_financing_demands_enterprise_id"))

    op.drop_table("financing_demands")
