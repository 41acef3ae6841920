"""foundation: accounts, enterprises, registration records, audit log

Revision ID: 79852f70e232
Revises:
Create Date: 2026-11-21 05:38:52.662611
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import backend.db.base

revision: str = "79852f70e232"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.Column("updated_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    # The genesis head: every audited transaction locks this one row (no insert race).
    op.execute(
        sa.text(
            "INSERT INTO audit_chain_head (id, seq, row_hash, key_id, mac, updated_at) "
            "VALUES (1, 0, :genesis, '', '', CURRENT_TIMESTAMP)"
        ).bindparams(genesis="0" * 64)
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("actor_account_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_role", sa.String(length=20), nullable=True),
        sa.Column("subject_type", sa.String(length=40), nullable=True),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("enterprise_id", sa.BigInteger(), nullable=True),
        sa.Column("institution_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_log_seq")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_action", ["action", "occurred_at"], unique=False)
        batch_op.create_index(
            "ix_audit_log_actor", ["actor_account_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_audit_log_enterprise", ["enterprise_id", "occurred_at"], unique=False
        )

    op.create_table(
        "data_providers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "categories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_providers")),
        sa.UniqueConstraint("code", name=op.f("uq_data_providers_code")),
    )
    op.create_table(
        "enterprises",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("entity_type", sa.String(length=30), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("industry_code", sa.String(length=10), nullable=True),
        sa.Column("established_on", sa.Date(), nullable=True),
        sa.Column("registered_capital", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("legal_rep_name", sa.String(length=100), nullable=False),
        sa.Column("legal_rep_id_cipher", sa.Text(), nullable=False),
        sa.Column("legal_rep_id_hash", sa.String(length=64), nullable=False),
        sa.Column("legal_rep_id_masked", sa.String(length=18), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("registration_status", sa.String(length=20), nullable=True),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("uscc", name=op.f("uq_enterprises_uscc")),
    )
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enterprises_industry_code"), ["industry_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_enterprises_legal_rep_id_hash"), ["legal_rep_id_hash"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_enterprises_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "institutions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "region_codes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institutions")),
        sa.UniqueConstraint("uscc", name=op.f("uq_institutions_uscc")),
    )
    op.create_table(
        "throttle_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("bucket", sa.String(length=40), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttle_events")),
    )
    with op.batch_alter_table("throttle_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_throttle_events_lookup", ["bucket", "key_hash", "occurred_at"], unique=False
        )

    op.create_table(
        "accounts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("display_name", sa.String(length=50), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "enterprise_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "data_provider_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("department", sa.String(length=100), nullable=True),
        sa.Column("failed_login_count", sa.Integer(), nullable=False),
        sa.Column("locked_until", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verified_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_by_account_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('ENTERPRISE','INSTITUTION','GOVERNMENT','DATA_PROVIDER','AUDITOR')",
            name=op.f("ck_accounts_role_known"),
        ),
        sa.CheckConstraint(
            "status IN ('ACTIVE','DISABLED')", name=op.f("ck_accounts_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_account_id"],
            ["accounts.id"],
            name=op.f("fk_accounts_created_by_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["data_provider_id"],
            ["data_providers.id"],
            name=op.f("fk_accounts_data_provider_id_data_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_accounts_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_accounts_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("phone", name=op.f("uq_accounts_phone")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accounts_data_provider_id"), ["data_provider_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_accounts_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_accounts_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_auth_sessions_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_sessions_token_hash")),
    )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_sessions_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "ingest_batches",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "data_provider_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("external_batch_id", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "row_errors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "submitted_by_account_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_provider_id"],
            ["data_providers.id"],
            name=op.f("fk_ingest_batches_data_provider_id_data_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_account_id"],
            ["accounts.id"],
            name=op.f("fk_ingest_batches_submitted_by_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_batches")),
        sa.UniqueConstraint(
            "data_provider_id",
            "external_batch_id",
            name=op.f("uq_ingest_batches_data_provider_id_external_batch_id"),
        ),
    )
    op.create_table(
        "credit_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "enterprise_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("natural_key", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("personal_cipher", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column(
            "data_provider_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("received_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["ingest_batches.id"],
            name=op.f("fk_credit_records_batch_id_ingest_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["data_provider_id"],
            ["data_providers.id"],
            name=op.f("fk_credit_records_data_provider_id_data_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_credit_records_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_records")),
        sa.UniqueConstraint(
            "category",
            "natural_key",
            "version",
            name=op.f("uq_credit_records_category_natural_key_version"),
        ),
    )
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_records_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(
            "ix_credit_records_current_key", ["category", "natural_key", "is_current"], unique=False
        )
        batch_op.create_index(
            "ix_credit_records_enterprise_category",
            ["enterprise_id", "category", "is_current"],
            unique=False,
        )

    _create_append_only_triggers()


_APPEND_ONLY_MESSAGE = "audit_log is append-only"
_HEAD_MESSAGE = "audit_chain_head only moves forward"


def _create_append_only_triggers() -> None:
    """Refuse UPDATE/DELETE on audit_log, and moving the chain head backwards or deleting it."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{_APPEND_ONLY_MESSAGE}';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            f"""
            CREATE FUNCTION audit_chain_head_forward_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' OR NEW.seq <= OLD.seq THEN
                    RAISE EXCEPTION '{_HEAD_MESSAGE}';
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_chain_head_forward_only BEFORE UPDATE OR DELETE "
            "ON audit_chain_head FOR EACH ROW EXECUTE FUNCTION audit_chain_head_forward_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY_MESSAGE}'); END"
            )
        op.execute(
            "CREATE TRIGGER audit_chain_head_forward_only BEFORE UPDATE ON audit_chain_head "
            f"WHEN NEW.seq <= OLD.seq BEGIN SELECT RAISE(ABORT, '{_HEAD_MESSAGE}'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head "
            f"BEGIN SELECT RAISE(ABORT, '{_HEAD_MESSAGE}'); END"
        )


def _drop_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_head_forward_only ON audit_chain_head")
        op.execute("DROP FUNCTION IF EXISTS audit_chain_head_forward_only()")
    else:
        for name in (
            "audit_log_no_update",
            "audit_log_no_delete",
            "audit_chain_head_forward_only",
            "audit_chain_head_no_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_records_enterprise_category")
        batch_op.drop_index("ix_credit_records_current_key")
        batch_op.drop_index(batch_op.f("ix_credit_records_batch_id"))

    op.drop_table("credit_records")
    op.drop_table("ingest_batches")
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_sessions_account_id"))

    op.drop_table("auth_sessions")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_institution_id"))
        batch_op.drop_index(batch_op.f("ix_accounts_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_accounts_data_provider_id"))

    op.drop_table("accounts")
    with op.batch_alter_table("throttle_events", schema=None) as batch_op:
        batch_op.drop_index("ix_throttle_events_lookup")

    op.drop_table("throttle_events")
    op.drop_table("institutions")
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprises_region_code"))
        batch_op.drop_index(batch_op.f("ix_enterprises_legal_rep_id_hash"))
        batch_op.drop_index(batch_op.f("ix_enterprises_industry_code"))

    op.drop_table("enterprises")
    op.drop_table("data_providers")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_enterprise")
        batch_op.drop_index("ix_audit_log_actor")
        batch_op.drop_index("ix_audit_log_action")

    op.drop_table("audit_log")
    op.drop_table("audit_chain_head")
